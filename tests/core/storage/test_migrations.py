"""Schema versions: old workspaces open and verify; newer ones are refused untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from workstation.errors import SchemaTooNew
from workstation.storage.db import latest_schema_version
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

FIXTURES = ROOT / "tests" / "fixtures" / "workspaces"


def copy_fixture(source: Path, copy: Path) -> Path:
    """A writable copy of a saved workspace."""
    shutil.copytree(source, copy)
    for f in copy.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    return copy


def test_a_saved_workspace_for_every_schema_version() -> None:
    """Every released schema has a workspace saved by the release that wrote it (v2 was
    upgraded from v1 by that release's code, v4 from v3 by this one), so an upgrade path
    that breaks is caught."""
    saved = sorted(int(p.name[1:]) for p in FIXTURES.iterdir() if p.name.startswith("v"))
    assert saved == list(range(1, latest_schema_version() + 1))
    for version in saved:
        path = FIXTURES / f"v{version}" / "workspace.db"
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        finally:
            conn.close()


@pytest.mark.parametrize("version_dir", sorted(p.name for p in FIXTURES.iterdir()))
def test_saved_workspaces_upgrade_and_verify(tmp_path: Path, version_dir: str) -> None:
    copy = copy_fixture(FIXTURES / version_dir, tmp_path / version_dir)
    with Workspace.open(copy) as ws:
        assert ws.status().schema_version == latest_schema_version()
        report = ws.verify()
        assert report.ok, report.problems
        captures = ws.captures.all()
        assert len(captures) == 2 and captures[0].tags == ("boat",)
        assert captures[1].notes == "edited" and captures[0].platform == "telegram"
        assert ws.captures.thumbnail_path(captures[0]).exists()
        # Derived data added by later schema versions is back-filled on upgrade.
        assert ws.reading.pdq_of(captures[0].id) is not None
        assert [h.capture_id for h in ws.reading.search("edited")] == [captures[1].id]
        assert [h.capture_id for h in ws.reading.search("edi*")] == [captures[1].id]
        sql = ws._conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'search_index'").fetchone()[0]
        assert "prefix = '3 4'" in sql  # 0004 and 0012: the index's prefix indexes
        assert ("telegram", "boatsuk") in {(i.kind, i.normalized) for i in
                                           ws.reading.indicators(captures[0].id)}
        assert ws.verify().ok


def test_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace.open(ws).close()
    conn = sqlite3.connect(ws / "workspace.db")
    conn.execute(f"PRAGMA user_version = {latest_schema_version() + 1}")
    conn.commit()
    conn.close()
    before = hashlib.sha256((ws / "workspace.db").read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNew, match="newer release"):
        Workspace.open(ws)
    with pytest.raises(SchemaTooNew):
        Workspace.open(ws, readonly=True)
    result = run_cli("status", workspace=ws)
    assert result.returncode == 1 and "newer" in result.stderr and "Traceback" not in result.stderr
    assert hashlib.sha256((ws / "workspace.db").read_bytes()).hexdigest() == before


def test_the_cli_says_it_is_upgrading_once(tmp_path: Path) -> None:
    copy = copy_fixture(FIXTURES / "v3", tmp_path / "v3")
    first = run_cli("search", "edited", "--json", workspace=copy, check=True)
    assert (f"upgrading the workspace database from version 3 to {latest_schema_version()}"
            in first.stderr)
    assert [hit["capture_id"] for hit in json.loads(first.stdout)] == [2]
    again = run_cli("status", workspace=copy, check=True)
    assert "upgrading" not in again.stderr
    assert Workspace.pending_upgrade(copy) is None
    assert Workspace.pending_upgrade(tmp_path / "nothing-here") is None
