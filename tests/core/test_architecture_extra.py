"""Architecture rules about dependencies: sqlite-utils is a supervisors' tool (the
``tools`` extra), never imported by the app (it would bring a second SQLite into
the process, see workstation/storage/sqlitelib.py)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.conftest import ROOT

APP_FOLDERS = ("workstation", "ui", "cli")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports: import statements, ``importlib.import_module``
    and ``__import__`` calls with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.add(first.value)
    return found


def test_the_finder_sees_each_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import a.b\nfrom c import d\nfrom . import e\n"
                      "import importlib\nimportlib.import_module('f')\n__import__('g')\n")
    assert imported_modules(sample) == {"a.b", "c", "importlib", "f", "g"}


def test_no_app_module_imports_sqlite_utils() -> None:
    offenders = []
    files = [p for folder in APP_FOLDERS for p in (ROOT / folder).rglob("*.py")]
    assert len(files) > 30
    for path in files:
        if any(m == "sqlite_utils" or m.startswith("sqlite_utils.")
               for m in imported_modules(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_sqlite_utils_is_an_optional_tool_and_phonenumbers_the_lite_build() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [d.split(">")[0].split("=")[0].split("[")[0].strip().lower()
               for d in project["dependencies"]]
    assert "sqlite-utils" not in runtime
    assert any(d.startswith("sqlite-utils") for d in project["optional-dependencies"]["tools"])
    assert "phonenumberslite" in runtime and "phonenumbers" not in runtime


def test_nothing_needs_what_phonenumberslite_leaves_out() -> None:
    """phonenumberslite has no geocoder, carrier or time-zone data."""
    missing = ("phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone",
               "phonenumbers.geodata", "phonenumbers.carrierdata", "phonenumbers.tzdata")
    offenders = []
    for folder in (*APP_FOLDERS, "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if any(m.startswith(missing) for m in imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
