"""Prefect flows: thin wrappers that orchestrate the steps in peer_review.service."""
