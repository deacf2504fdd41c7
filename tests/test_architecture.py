"""The direction of imports inside panel/: layers, lowest first, and no cycles.

A module may import the modules of its own package and of any package in a lower layer; it may
import a package of its own layer only where that package imports nothing of its package back
(the base layer counts as one package: extensions builds on core's model base, core's audit log
and pages use extensions' db). No module takes part in an import cycle. Imports inside
functions count like those at the top of a module; only those under `if TYPE_CHECKING:` (for
annotations) are left out. docs/architecture.md describes the layers.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

PANEL = Path(__file__).resolve().parents[1] / "panel"

LAYERS = (
    ("panel.config", "panel.extensions", "panel.core"),
    ("panel.accounts", "panel.coop", "panel.hosts", "panel.notifications"),
    ("panel.provisioning",),
    ("panel.webspaces", "panel.servers", "panel.video", "panel.metering"),
    ("panel.billing", "panel.status", "panel.governance", "panel.export"),
    ("panel.api",),
    # The app, its commands (with the finder of plug-in commands such as the testbed's), the
    # list of all tables for Alembic and the migrations: nothing below imports them.
    ("panel", "panel.cli", "panel.models", "panel.migrations", "panel.cli_plugins"),
)


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.imported}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _only_for_annotations(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(tree: ast.AST):
    """Every import statement, at any depth, but those under `if TYPE_CHECKING:`."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        for child in ast.iter_child_nodes(node):
            if _only_for_annotations(child):
                pending.extend(child.orelse)
            else:
                pending.append(child)


def imports_of(root: Path) -> tuple[set[str], list[Import]]:
    """The modules of the package at ROOT and their imports of each other's modules (`from a
    import b` names module a.b where there is one, else a)."""
    paths = {module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    prefix = root.name
    found = []
    for module, path in paths.items():
        for node in _import_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif node.level == 0 and node.module:
                names = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in paths
                    else node.module
                    for alias in node.names
                ]
            else:
                raise AssertionError(f"{module}: use absolute imports (line {node.lineno})")
            for name in names:
                if name == prefix or name.startswith(prefix + "."):
                    while name not in paths and "." in name:
                        name = name.rpartition(".")[0]
                    if name != module:
                        found.append(Import(module, name, node.lineno))
    return set(paths), found


def unit_of(module: str, layers=LAYERS) -> str | None:
    """The most specific entry of the layers the module belongs to."""
    units = [unit for layer in layers for unit in layer]
    matching = [unit for unit in units if module == unit or module.startswith(unit + ".")]
    return max(matching, key=len, default=None)


def layer_of(unit: str, layers=LAYERS) -> int:
    return next(number for number, layer in enumerate(layers) if unit in layer)


def upward_imports(imports: list[Import], layers=LAYERS) -> list[Import]:
    return [
        each
        for each in imports
        if layer_of(unit_of(each.imported, layers), layers)
        > layer_of(unit_of(each.importer, layers), layers)
    ]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def module_cycles(imports: list[Import]) -> list[list[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for each in imports:
        edges[each.importer].add(each.imported)
    return cycles(edges)


def package_of(module: str, layers=LAYERS) -> str:
    unit = unit_of(module, layers)
    return "+".join(layers[0]) if unit in layers[0] else unit


def package_cycles(imports: list[Import], layers=LAYERS) -> list[list[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for each in imports:
        importer, imported = package_of(each.importer, layers), package_of(each.imported, layers)
        if importer != imported:
            edges[importer].add(imported)
    return cycles(edges)


@pytest.fixture(scope="module")
def panel_imports():
    return imports_of(PANEL)


def test_every_module_has_a_layer(panel_imports):
    modules, _ = panel_imports
    assert [module for module in sorted(modules) if unit_of(module) is None] == []


def test_no_module_imports_a_higher_layer(panel_imports):
    _, imports = panel_imports
    assert [str(each) for each in upward_imports(imports)] == []


def test_the_base_layer_imports_no_feature(panel_imports):
    _, imports = panel_imports
    base = LAYERS[0]
    assert [
        str(each)
        for each in imports
        if unit_of(each.importer) in base and unit_of(each.imported) not in base
    ] == []


def test_no_two_packages_import_each_other(panel_imports):
    _, imports = panel_imports
    assert package_cycles(imports) == []


def test_no_import_cycles_between_modules(panel_imports):
    _, imports = panel_imports
    assert module_cycles(imports) == []


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "app"


def test_the_checks_find_cycles_upward_imports_and_ignore_annotations(tmp_path):
    layers = (("app.base", "app.config"), ("app.low",), ("app.high",))
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "base/__init__.py": "",
            "base/one.py": "def late():\n    from app.high import views\n",
            "config.py": "from app.base import one\n",
            "low/__init__.py": "",
            "low/a.py": "def later():\n    from app.low import b\n",
            "low/b.py": "import app.low.a\n",
            "low/c.py": "from app.base.one import late\n",
            "high/__init__.py": "",
            "high/views.py": (
                "from typing import TYPE_CHECKING\n"
                "from app.low.a import thing\n"
                "if TYPE_CHECKING:\n"
                "    from app.high import typed\n"
            ),
            "high/typed.py": "from app.high import views\n",
        },
    )
    modules, imports = imports_of(root)
    assert "app.low.a" in modules
    assert [str(each) for each in upward_imports(imports, layers)] == [
        "app.base.one (line 2) imports app.high.views"
    ]
    assert module_cycles(imports) == [["app.low.a", "app.low.b"]]
    assert package_cycles(imports, layers) == [["app.base+app.config", "app.high", "app.low"]]


# Functions that had grown past a page and were split along the steps they name; they stay split.
SPLIT_FUNCTIONS = (
    ("billing/payments.py", "direct_debit"),
    ("billing/operations.py", "run_period"),
    ("coop/operations.py", "create_member"),
    ("__init__.py", "create_app"),
)
MAX_FUNCTION_LINES = 40


@pytest.mark.parametrize(("module", "name"), SPLIT_FUNCTIONS)
def test_split_functions_stay_under_a_page(module, name):
    tree = ast.parse((PANEL / module).read_text())
    (function,) = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name
    ]
    length = function.end_lineno - function.lineno + 1
    assert length < MAX_FUNCTION_LINES, f"{module}: {name} has {length} lines"
