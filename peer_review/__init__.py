"""peer-review: a workflow engine for moderated peer review between multi-academy trusts."""

__version__ = "0.1.0"
