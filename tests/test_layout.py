"""The test suite's own layout: helpers shared between test files live in tests/helpers.py, fixtures in
conftest.py, and no test file imports another test file or conftest (pytest loads conftest itself)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module this file imports, anywhere in it (inside functions too), with the line it is on."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _is_test_file_or_conftest(module: str) -> bool:
    top = module.split(".")[0]
    return top == "conftest" or top.startswith("test_")


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda path: path.name)
def test_no_file_imports_a_test_file_or_conftest(path):
    wrong = [
        f"{path.name}:{line}: {module}" for line, module in _imported_modules(path) if _is_test_file_or_conftest(module)
    ]
    assert not wrong, "import shared helpers from helpers.py (and fixtures through conftest.py) instead: " + ", ".join(
        wrong
    )
