"""A damaged ``workspace.db`` (garbage, or flipped bytes in its pages) is named as such by
every command — never a message about the search ranker, never a traceback — with what to
do, and nothing is written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.imagegen import make_image
from workstation.errors import DamagedDatabase
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

COMMANDS = [("status",), ("list",), ("verify",), ("show", "1"), ("audit",), ("search", "advert"),
            ("indicators",), ("links", "1"), ("similar", "1"), ("case", "list"),
            ("tag", "1", "x"), ("note", "1", "text"), ("config", "analyst", "Someone"),
            ("import", "IMAGE"), ("pack", "list"), ("contact", "list"), ("key", "list")]

#: Commands that read the captures or the audit trail (every write checks the trail's
#: head on opening), so flipped bytes in those tables must stop them.
READS_DAMAGED_PAGES = {"status", "list", "verify", "show", "audit", "tag", "note", "config",
                       "import"}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("damaged")
    image = base / "new.png"
    image.write_bytes(make_image(seed=99))
    ws_dir = base / "ws"
    with Workspace.open(ws_dir) as ws:
        for n in range(3):
            path = base / f"{n}.png"
            path.write_bytes(make_image(seed=n))
            ws.intake.import_file(path)
    return ws_dir, image


def _garbage(db: Path) -> None:
    db.write_bytes(hashlib.sha256(b"x").digest() * 4000)


def _flipped(db: Path) -> None:
    """Flip bytes inside the root pages of the captures and audit tables and of their
    indexes (the header and the schema stay readable: the damage is found only when
    those pages are read)."""
    conn = sqlite3.connect(db)
    pages = [row[0] for row in conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE tbl_name IN ('captures', 'audit_entries') "
        "AND rootpage > 0")]  # their indexes too: a count may read only an index
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    for page in pages:
        start = (page - 1) * page_size
        # From the page's header on (page 1's starts after the file header): a small
        # table's page may hold only a few rows, whose bytes alone could be misread.
        for offset in range(start + (100 if page == 1 else 0), start + page_size, 7):
            data[offset] ^= 0x5A
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _flipped], ids=["garbage", "flipped-bytes"])
def test_every_command_names_the_damaged_database(made: tuple[Path, Path], tmp_path: Path,
                                                  damage: object) -> None:
    template, image = made
    ws_dir = tmp_path / "ws"
    for path in template.rglob("*"):  # a copy per test: evidence, anchors, database
        target = ws_dir / path.relative_to(template)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.name != "workspace.lock":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    db = ws_dir / "workspace.db"
    damage(db)  # type: ignore[operator]
    damaged = db.read_bytes()

    for command in COMMANDS:
        args = [str(image) if a == "IMAGE" else a for a in command]
        done = run_cli(*args, workspace=ws_dir)
        if damage is _flipped and command[0] not in READS_DAMAGED_PAGES and \
                done.returncode == 0:
            continue  # it never read a damaged page (search reads only its index)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1, (command, done.stderr)
        assert lines[0].startswith("workstation: error: workspace.db is damaged (SQLite: "), \
            (command, done.stderr)
        assert "restore" in lines[0] and "backup" in lines[0]
        assert "ranker" not in done.stderr and "FTS5" not in done.stderr
        assert db.read_bytes() == damaged, command  # nothing written into it


def test_the_core_raises_damaged_database(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    Workspace.open(ws_dir).close()
    _garbage(ws_dir / "workspace.db")
    for readonly in (True, False):
        with pytest.raises(DamagedDatabase, match=r"^workspace\.db is damaged \(SQLite: "):
            Workspace.open(ws_dir, readonly=readonly)
