"""Where the bundled frameworks, templates and examples live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(kind: str) -> Path:
    """Folder of bundled `frameworks` or `templates`.

    A wheel carries them inside the package (`peer_review/bundled/`); a source checkout or an
    editable install has them at the top of the repository.
    """
    for candidate in (_PACKAGE / "bundled" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled {kind} not found next to {_PACKAGE}")


def example(name: str) -> Path:
    return _PACKAGE / "demo" / "examples" / name
