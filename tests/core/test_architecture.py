"""Architecture rules: the core never imports Qt; the UI holds no SQL."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import workstation
from tests.conftest import ROOT


def test_importing_the_core_leaves_qt_out() -> None:
    modules = [m.name for m in pkgutil.walk_packages(workstation.__path__, "workstation.")
               if m.name != "cli.__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'PyQt', 'shiboken')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == ""
    assert len(modules) >= 10


def test_ui_has_no_sql() -> None:
    pattern = re.compile(r"\b(SELECT\s.+\sFROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b")
    offenders = [str(p) for p in (ROOT / "ui").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_every_module_has_a_docstring() -> None:
    missing = []
    for path in list((ROOT / "workstation").rglob("*.py")) + list((ROOT / "ui").rglob("*.py")):
        text = path.read_text().lstrip()
        if not text.startswith(('"""', "'''", 'r"""')):
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_migrations_are_numbered(tmp_path: Path) -> None:
    names = sorted(p.name for p in (ROOT / "workstation" / "storage" / "migrations").glob("*.sql"))
    assert names and all(re.match(r"^\d{4}_[a-z0-9_]+\.sql$", n) for n in names)


def test_one_sqlite_binding() -> None:
    """Everything takes sqlite3 from workstation/storage/sqlitelib.py: two copies of SQLite in
    one process must not open the same file (each would drop the other's POSIX locks)."""
    direct = re.compile(r"^\s*(import sqlite3\b|from sqlite3\b)", re.MULTILINE)
    offenders = []
    for folder in ("workstation", "ui", "tests", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name != "sqlitelib.py" and direct.search(path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    from workstation.storage import sqlitelib

    assert sqlitelib.sqlite3.__name__ == "sqlcipher3.dbapi2"  # the declared one, not a fallback
