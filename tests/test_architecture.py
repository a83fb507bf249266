"""The source keeps its layers: settings read in one module, no import circles, the folders as documented.

The layer rules themselves (what may import what) are import-linter's contracts in pyproject.toml, which
.ci/run checks with `lint-imports`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "peer_review").rglob("*.py"), *(ROOT / "flows").rglob("*.py")])


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                return True
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if {alias.name for alias in node.names} & {"environ", "getenv", "environb"}:
                return True
    return False


def test_only_the_settings_module_reads_the_environment():
    readers = [
        str(path.relative_to(ROOT)) for path in SOURCES if _reads_environment(ast.parse(path.read_text(), str(path)))
    ]
    assert readers == ["peer_review/settings.py"]


def test_every_setting_read_is_declared_with_its_meaning():
    from peer_review import settings

    text = (ROOT / "peer_review" / "settings.py").read_text()
    for setting in settings.ALL.values():
        assert setting.meaning and text.count(f'"{setting.name}"') == 1, setting.name
    named = {name for path in SOURCES for name in re.findall(r"\bPEER_REVIEW_[A-Z_]+\b", path.read_text())}
    assert named <= set(settings.ALL), named - set(settings.ALL)


def _circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm), lazy imports included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in graph.modules:
                continue
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("peer_review", "flows", include_external_packages=False, cache_dir=None)
    assert len(graph.modules) > 100
    assert _circles(graph) == []


def test_the_package_top_level_is_the_layers_and_a_few_shared_basics():
    top = sorted(p.name for p in (ROOT / "peer_review").iterdir() if not p.name.startswith((".", "__pycache__")))
    assert top == [
        "__init__.py",
        "__main__.py",
        "adapters",
        "clock.py",
        "demo",
        "domain",
        "entrypoints",
        "errors.py",
        "files",
        "resources.py",
        "service",
        "settings.py",
        "store",
    ]


def _runtime_table_imports(path: Path) -> list[int]:
    """Lines importing peer_review.store.tables outside an `if TYPE_CHECKING:` block."""
    tree = ast.parse(path.read_text(), str(path))
    for_the_checker = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom | ast.Import)
        and id(node) not in for_the_checker
        and any(
            name.startswith("peer_review.store.tables")
            for name in ([node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names])
        )
    ]


def test_only_the_store_makes_and_reads_rows_the_service_layer_names_tables_only_as_types():
    """Every row is made and every query run in peer_review/store/; outside it the tables are imported only
    for the type checker (import-linter's contracts keep entry points and flows from them altogether)."""
    found = {
        str(path.relative_to(ROOT)): lines
        for path in SOURCES
        if "store" not in path.relative_to(ROOT).parts and (lines := _runtime_table_imports(path))
    }
    assert found == {}
