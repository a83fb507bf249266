"""Fresh processes timed as an installed peer-review runs them."""

from __future__ import annotations

import compileall
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def compile_sources() -> None:
    """Write the bytecode of peer_review/ and flows/ now, as `pip install .` does when it installs them. Run from
    a checkout with PYTHONDONTWRITEBYTECODE set (as on this project's machines), every fresh process would
    otherwise compile our modules again, a cost no installed copy pays (about 0.1 s a command)."""
    for package in ("peer_review", "flows"):
        compileall.compile_dir(REPO / package, quiet=1)
