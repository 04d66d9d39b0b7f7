"""Layout rules that keep the architecture readable: the core imports neither the UI
nor the CLI, SQL lives only in the storage layer, no import cycles, and no module or
function grows past what a reader can hold (declarative builders excepted, by name)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("workstation", "ui", "cli")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: Functions allowed past MAX_FUNCTION_LINES: declarations read top to bottom, one
#: entry per line, where splitting would only scatter the table.
DECLARATIVE = {
    "cli/main.py:build_parser": "the argparse table of every command and option",
    "cli/packs.py:register": "the argparse table of the key/contact/pack commands",
    "ui/main/mainactions.py:build_actions": "the table of menu actions and their shortcuts",
    "ui/packs/composer.py:PackComposer.__init__": "the composer's widget layout",
    "ui/contacts/contacts.py:ContactsWindow.__init__": "the contacts window's widget layout",
    "ui/main/mainwindow.py:MainWindow.__init__": "the main window's widget layout",
    "ui/settings/dialog.py:SettingsDialog.__init__": "the settings dialog's widget layout",
    "workstation/packs/format/members.py:build_manifest": "manifest.json, field by field",
    "workstation/packs/format/stix.py:stix_bundle": "the STIX objects, one per indicator kind",
}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|"
                 r"DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER))\b", re.IGNORECASE)


def sources(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def top_level_imports(path: Path) -> set[str]:
    """Modules imported at import time (not inside functions, not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base]) if base else ".".join(anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                test = node.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
    visit(tree.body)
    return found


def test_the_core_imports_neither_the_ui_nor_the_cli() -> None:
    offenders = []
    for path in sources("workstation"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):  # lazy imports count too
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.split(".")[0] in ("ui", "cli", "PySide6", "shiboken6"):
                    offenders.append(f"{rel(path)}: {name}")
    assert offenders == []


def test_the_ui_does_not_import_the_cli() -> None:
    offenders = [f"{rel(p)}: {name}" for p in sources("ui") for name in top_level_imports(p)
                 if name.split(".")[0] == "cli"]
    assert offenders == []


def test_sql_only_in_the_storage_layer() -> None:
    storage = ROOT / "workstation" / "storage"
    offenders = []
    for path in sources(*PACKAGES):
        if storage in path.parents:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if SQL.search(line) or ".execute(" in line or ".executemany(" in line:
                offenders.append(f"{rel(path)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_sql_rule_would_catch_sql(tmp_path: Path) -> None:
    """The pattern above is not vacuous: it finds the statements the storage layer has."""
    hits = sum(1 for p in (ROOT / "workstation" / "storage").rglob("*.py")
               for line in p.read_text().splitlines() if SQL.search(line))
    assert hits > 20


def cycles_in(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def strongconnect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for dep in graph[node]:
            if dep not in index:
                strongconnect(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return cycles


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles_in(graph) == [["a", "b", "c"]]
    assert cycles_in({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    modules = {module_name(p): p for p in sources(*PACKAGES)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for imported in top_level_imports(path):
            # "a.b.c" may name a module or an attribute of module "a.b"
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                deps.add(imported)
        graph[name] = deps
    # A package's __init__ importing its own submodules is not a cycle worth reporting.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not d.startswith(name + ".")}

    cycles = cycles_in(graph)
    assert cycles == []
    assert len(graph) > 50  # the walk saw the tree


def test_modules_stay_small() -> None:
    too_long = {rel(p): n for p in sources(*PACKAGES)
                if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}


def long_functions() -> dict[str, int]:
    found = {}
    for path in sources(*PACKAGES):
        tree = ast.parse(path.read_text())

        def walk(nodes: list[ast.stmt], prefix: str, path: Path = path) -> None:
            for node in nodes:
                if isinstance(node, ast.ClassDef):
                    walk(node.body, f"{prefix}{node.name}.")
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        found[f"{rel(path)}:{prefix}{node.name}"] = length
                    walk(node.body, f"{prefix}{node.name}.")
        walk(tree.body, "")
    return found


def test_functions_stay_short() -> None:
    over = {name: n for name, n in long_functions().items() if name not in DECLARATIVE}
    assert over == {}


@pytest.mark.parametrize("name", sorted(DECLARATIVE))
def test_each_declarative_exception_still_exists(name: str) -> None:
    """An exception whose function was removed or renamed is dropped from the list."""
    path, _, qualname = name.partition(":")
    tree = ast.parse((ROOT / path).read_text())
    names = set()

    def walk(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                walk(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(f"{prefix}{node.name}")
    walk(tree.body, "")
    assert qualname in names


#: The UI modules that may know the main window: the window itself, the launcher that
#: builds it, and the menus that call its methods.  Every dialog and window gets the
#: collaborators it uses (session, reader, operations, preferences ...), never the
#: main window (STYLE.md, "Pass collaborators, not the window").
KNOW_THE_MAIN_WINDOW = {"ui/main/mainwindow.py", "ui/app.py", "ui/main/mainactions.py"}


def main_window_references(path: Path) -> list[str]:
    """Where ``path`` imports ``ui.main.mainwindow`` (at run time, lazily or under
    TYPE_CHECKING) or names ``MainWindow``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # ui is one flat package
                base = f"ui.{base}" if base else "ui"
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Name) and node.id == "MainWindow":
            names = ["MainWindow"]
        found += [f"{rel(path)}:{node.lineno}: {name}" for name in names
                  if name == "MainWindow" or name == "ui.main.mainwindow"
                  or name.startswith("ui.main.mainwindow.")]
    return found


def test_dialogs_get_collaborators_not_the_main_window() -> None:
    offenders = [ref for path in sources("ui") if rel(path) not in KNOW_THE_MAIN_WINDOW
                 for ref in main_window_references(path)]
    assert offenders == []
    # Not vacuous: the launcher's import is seen.
    assert main_window_references(ROOT / "ui" / "app.py")


def test_the_ui_writes_no_files_of_its_own() -> None:
    """File formats and file writing live in the core (``workstation.files``, the
    services' ``write_file`` / ``write_public_key``); the UI asks the core."""
    offenders = []
    for path in sources("ui"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "") == "workstation.files":
                offenders.append(f"{rel(path)}:{node.lineno}: imports workstation.files")
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id == "open":
                    offenders.append(f"{rel(path)}:{node.lineno}: open()")
                elif isinstance(func, ast.Attribute) and func.attr in (
                        "write_text", "write_bytes", "dump"):
                    offenders.append(f"{rel(path)}:{node.lineno}: .{func.attr}()")
    assert offenders == []
