"""The service layer: every entry point (CLI, flows, demo) calls these functions and nothing below them."""
