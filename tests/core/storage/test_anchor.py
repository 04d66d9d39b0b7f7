"""Loss and rollback are visible: the audit head anchored outside the database
(``audit.head`` and a per-user copy), checked on every open; only creation makes a
workspace, and nothing recreates a missing database."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from workstation.errors import BehindAnchor, MissingDatabase, NoWorkspace
from workstation.storage import compact
from workstation.storage.anchor import ANCHOR_DIR_ENV, anchors_of
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

DB_FILES = ("workspace.db", "workspace.db-wal", "workspace.db-shm")


def _one_line_error(result: object, *needles: str) -> str:
    """The CLI failed (exit 1) with one line on stderr holding every needle."""
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1, (result.stdout, stderr)  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], stderr
    return str(lines[0])


def _save(ws: Path, dest: Path, *names: str) -> None:
    dest.mkdir()
    for name in names:
        if (ws / name).exists():
            shutil.copy2(ws / name, dest / name)


def _put_back(saved: Path, ws: Path, *names: str) -> None:
    for name in DB_FILES:
        (ws / name).unlink(missing_ok=True)
    for name in names:
        if (saved / name).exists():
            shutil.copy2(saved / name, ws / name)


def _verify(ws: Path) -> tuple[int, dict]:
    result = run_cli("verify", "--json", workspace=ws)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def _db_head(ws: Path) -> tuple[int, str]:
    conn = sqlite3.connect(f"file:{ws / 'workspace.db'}?mode=ro", uri=True)
    compact.install(conn)  # the audit_log view reads compressed columns
    try:
        row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return int(row[0]), str(row[1])


@pytest.fixture
def started(tmp_path: Path, image_file: Callable[..., Path]) -> Path:
    ws = tmp_path / "ws"
    run_cli("import", str(image_file()), "--case", "Op Anchor", workspace=ws, check=True)
    return ws


# ----------------------------------------------------------------- rollback
@pytest.mark.parametrize("with_audit_head", [False, True],
                         ids=["database-only", "database-and-audit.head"])
def test_rollback_hidden_by_the_next_write_is_refused(
        started: Path, tmp_path: Path, image_file: Callable[..., Path],
        with_audit_head: bool) -> None:
    """An older copy of the database put back (with or without the old ``audit.head``:
    the per-user anchor still knows) is refused for writing, so the next write cannot
    hide it, and ``verify`` keeps reporting it; the lost capture's evidence is not
    called harmless."""
    ws = started
    names = ("workspace.db", "audit.head") if with_audit_head else ("workspace.db",)
    _save(ws, tmp_path / "old", *names)
    run_cli("import", str(image_file()), workspace=ws, check=True)
    run_cli("tag", "2", "boat", workspace=ws, check=True)
    head_before = _db_head(ws)
    _put_back(tmp_path / "old", ws, *names)

    refused = run_cli("config", "analyst", "Mallory", workspace=ws)
    _one_line_error(refused, "does not match its audit anchor", "acknowledge-rollback",
                    "restore", f"records entry {head_before[0]}")
    assert _db_head(ws)[0] < head_before[0]  # nothing was written
    for _ in range(2):  # and the next verify still says so
        code, report = _verify(ws)
        assert code == 1 and not report["ok"]
        assert any(p["kind"] == "audit-deleted" and f"entry {head_before[0]}" in p["message"]
                   for p in report["problems"]), report
        assert report["unreferenced_files"] == 1
    text = run_cli("verify", workspace=ws).stdout
    assert "harmless" not in text and "lost" in text
    if with_audit_head:
        assert "per-user anchor" in text
    assert run_cli("list", workspace=ws).returncode == 0  # reading still works


def test_the_gap_can_be_acknowledged_and_is_recorded(
        started: Path, tmp_path: Path, image_file: Callable[..., Path]) -> None:
    ws = started
    _save(ws, tmp_path / "old", "workspace.db")
    old_head = _db_head(ws)
    run_cli("import", str(image_file()), workspace=ws, check=True)
    lost_head = _db_head(ws)
    _put_back(tmp_path / "old", ws, "workspace.db")

    usage = run_cli("acknowledge-rollback", workspace=ws)
    assert usage.returncode == 2 and "--reason" in usage.stderr
    done = run_cli("acknowledge-rollback", "--reason", "restored after disk failure", "--json",
                   workspace=ws)
    assert done.returncode == 0, done.stderr
    details = json.loads(done.stdout)
    assert details["database_head"] == {"seq": old_head[0], "sha256": old_head[1]}
    assert {"seq": lost_head[0], "sha256": lost_head[1]} in [a["head"] for a in
                                                              details["anchors"]]
    entries = json.loads(run_cli("audit", "--json", workspace=ws, check=True).stdout)
    assert entries[-1]["action"] == "audit.rollback-acknowledged"
    assert entries[-1]["details"]["reason"] == "restored after disk failure"
    assert entries[-1]["seq"] == old_head[0] + 1

    code, report = _verify(ws)
    assert code == 0, report  # re-anchored on the database, the gap in the trail
    assert report["unreferenced_files"] == 1
    assert "acknowledged rollback" in run_cli("verify", workspace=ws).stdout
    run_cli("config", "analyst", "Jane", workspace=ws, check=True)
    again = run_cli("acknowledge-rollback", "--reason", "x", workspace=ws)
    _one_line_error(again, "nothing to acknowledge")


def test_a_copy_in_another_folder_is_not_a_rollback(started: Path, tmp_path: Path) -> None:
    """The per-user anchor is keyed by the folder too: a restored copy beside the
    original is a workspace of its own, and both stay writable."""
    copy = tmp_path / "copy"
    shutil.copytree(started, copy)
    run_cli("case", "new", "Only in the copy", workspace=copy, check=True)
    run_cli("case", "new", "Only in the original", workspace=started, check=True)
    run_cli("case", "new", "Again in the copy", workspace=copy, check=True)
    assert _verify(started)[0] == 0 and _verify(copy)[0] == 0


# ----------------------------------------------------------- tail truncation
@pytest.mark.parametrize("anchor", [b"", b"7 3f2a", b"\x00\xffgarbage\n" * 3, None],
                         ids=["empty", "truncated", "garbage", "deleted"])
def test_tail_truncation_with_a_damaged_anchor_fails_verify(
        started: Path, tmp_path: Path, anchor: bytes | None) -> None:
    """Deleting the newest entries (and rewinding the head row) and emptying, truncating,
    garbling or deleting ``audit.head`` fails ``verify``, even with no per-user anchor."""
    ws = started
    run_cli("tag", "1", "boat", workspace=ws, check=True)
    run_cli("note", "1", "seen twice", workspace=ws, check=True)
    last, _ = _db_head(ws)
    conn = sqlite3.connect(ws / "workspace.db")
    compact.install(conn)
    conn.execute("DELETE FROM audit_entries WHERE seq > ?", (last - 2,))
    conn.execute("UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit_log "
                 "WHERE seq = ?)", (last - 2, last - 2))
    conn.execute("UPDATE captures SET notes = ''")
    conn.execute("DELETE FROM capture_tags")
    conn.commit()
    conn.close()
    if anchor is None:
        (ws / "audit.head").unlink()
    else:
        (ws / "audit.head").write_bytes(anchor)

    code, report = _verify(ws)
    assert code == 1
    assert any(p["kind"] == "audit-deleted" for p in report["problems"])  # per-user anchor
    assert any(p["kind"] == "audit-anchor" and "audit.head" in p["message"]
               for p in report["problems"]), report
    alone = run_cli("verify", "--json", workspace=ws,
                    env={ANCHOR_DIR_ENV: str(tmp_path / "no-anchors")})
    assert alone.returncode == 1
    assert [p["kind"] for p in json.loads(alone.stdout)["problems"]] == ["audit-anchor"]
    refused = run_cli("config", "analyst", "Mallory", workspace=ws)
    _one_line_error(refused, "does not match its audit anchor", "audit.head")


def test_an_unreadable_anchor_on_an_intact_workspace_fails_verify(started: Path) -> None:
    (started / "audit.head").write_bytes(b"")
    code, report = _verify(started)
    assert code == 1
    assert [p["kind"] for p in report["problems"]] == ["audit-anchor"]


def test_a_database_ahead_of_its_anchor_is_caught_up(started: Path, tmp_path: Path) -> None:
    """A crash between the commit and the anchor's write leaves the anchor behind the
    database: normal, not a problem, and the next writer brings it up to date."""
    _save(started, tmp_path / "old", "audit.head")
    run_cli("case", "new", "Op Later", workspace=started, check=True)
    shutil.copy2(tmp_path / "old" / "audit.head", started / "audit.head")
    assert _verify(started)[0] == 0
    run_cli("status", workspace=started, check=True)
    assert (started / "audit.head").read_bytes() == (tmp_path / "old" / "audit.head").read_bytes()
    run_cli("case", "new", "Op Catch-up", workspace=started, check=True)  # a writer
    seq, digest = _db_head(started)
    assert (started / "audit.head").read_text() == f"{seq} {digest}\n"


# -------------------------------------------- only creation makes a workspace
READ_COMMANDS = [["verify"], ["status"], ["list"], ["show", "1"], ["search", "boat"],
                 ["audit"], ["indicators"], ["links", "1"], ["similar", "1"], ["case", "list"],
                 ["key", "list"], ["contact", "list"], ["pack", "list"]]
WRITE_COMMANDS = [["config", "analyst", "Jane"], ["tag", "1", "boat"], ["note", "1", "x"],
                  ["case", "close", "Op"], ["ocr"]]


@pytest.mark.parametrize("args", READ_COMMANDS + WRITE_COMMANDS, ids=" ".join)
def test_commands_on_a_path_without_a_workspace_create_nothing(
        tmp_path: Path, args: list[str]) -> None:
    mistyped = tmp_path / "mistyped"
    result = run_cli(*args, workspace=mistyped)
    _one_line_error(result, f"no workspace at {mistyped}")
    assert not mistyped.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(run_cli(*args, workspace=empty), "no workspace at")
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("args", [*READ_COMMANDS, *WRITE_COMMANDS, ["case", "new", "Op"],
                                  ["import", "img.png"]], ids=" ".join)
def test_a_missing_database_is_reported_and_never_recreated(
        started: Path, args: list[str]) -> None:
    for name in DB_FILES:
        (started / name).unlink(missing_ok=True)
    result = run_cli(*args, workspace=started)
    _one_line_error(result, f"workspace.db is missing from {started}", "backup")
    assert not (started / "workspace.db").exists()


def test_a_missing_database_beside_only_the_anchor(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", str(ws), check=True)
    (ws / "evidence").rename(tmp_path / "elsewhere")
    (ws / "workspace.db").unlink()
    _one_line_error(run_cli("verify", workspace=ws), "workspace.db is missing")
    _one_line_error(run_cli("init", str(ws)), "workspace.db is missing")
    assert not (ws / "workspace.db").exists()


def test_init_creates_once(tmp_path: Path) -> None:
    ws = tmp_path / "new" / "ws"
    made = run_cli("init", str(ws))
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"created a new workspace at {ws}"
    status = json.loads(run_cli("status", "--json", workspace=ws, check=True).stdout)
    assert status["audit_entries"] == 1 and status["captures"] == 0
    assert _verify(ws)[0] == 0
    _one_line_error(run_cli("init", str(ws)), f"a workspace already exists at {ws}")
    home = tmp_path / "home"
    by_option = run_cli("init", workspace=home)  # `--workspace DIR init` works too
    assert by_option.returncode == 0 and (home / "workspace.db").is_file()


def test_the_first_import_or_case_into_an_empty_folder_says_it_creates(
        tmp_path: Path, image_file: Callable[..., Path]) -> None:
    fresh = tmp_path / "fresh"
    first = run_cli("import", str(image_file()), workspace=fresh, check=True)
    assert f"created a new workspace at {fresh}" in first.stderr
    second = run_cli("import", str(image_file()), workspace=fresh, check=True)
    assert "created" not in second.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    case = run_cli("case", "new", "Op First", workspace=empty, check=True)
    assert f"created a new workspace at {empty}" in case.stderr
    assert _verify(empty)[0] == 0


def test_no_workspace_is_made_in_a_folder_holding_other_things(
        tmp_path: Path, image_file: Callable[..., Path]) -> None:
    busy = tmp_path / "documents"
    busy.mkdir()
    (busy / "letter.txt").write_text("private")
    result = run_cli("import", str(image_file()), workspace=busy)
    _one_line_error(result, f"no workspace at {busy}", "not empty", "workstation init")
    assert sorted(p.name for p in busy.iterdir()) == ["letter.txt"]
    run_cli("init", str(busy), check=True)  # asked for explicitly: fine
    run_cli("import", str(image_file()), workspace=busy, check=True)


def test_the_python_api_creates_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(NoWorkspace):
        Workspace.open(tmp_path / "a", readonly=True)
    with pytest.raises(NoWorkspace):
        Workspace.open(tmp_path / "a", create=False)
    assert not (tmp_path / "a").exists()
    Workspace.open(tmp_path / "a").close()  # create=True (the window's first start)
    for name in DB_FILES:
        (tmp_path / "a" / name).unlink(missing_ok=True)
    with pytest.raises(MissingDatabase):
        Workspace.open(tmp_path / "a")
    with pytest.raises(MissingDatabase):
        Workspace.open(tmp_path / "a", readonly=True)
    assert not (tmp_path / "a" / "workspace.db").exists()


def test_opening_for_writing_checks_the_anchor(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    with Workspace.open(root) as ws:
        ws.cases.create("Op One")
    saved = (root / "workspace.db").read_bytes()
    with Workspace.open(root) as ws:
        ws.cases.create("Op Two")
    for name in DB_FILES:
        (root / name).unlink(missing_ok=True)
    (root / "workspace.db").write_bytes(saved)
    os.chmod(root / "workspace.db", 0o644)
    with pytest.raises(BehindAnchor, match="acknowledge-rollback"):
        Workspace.open(root)
    with Workspace.open(root, readonly=True) as ws:  # reading is allowed; verify reports
        assert not ws.verify().ok
    with Workspace.open(root, allow_rollback=True) as ws:
        assert ws.anchor_problems
        ws.acknowledge_rollback("known loss")
    with Workspace.open(root) as ws:
        assert ws.verify().ok


def test_a_writer_killed_while_writing_an_anchor_leaves_nothing_behind(started: Path) -> None:
    """A kill between the temporary anchor file and its rename (found by the import kill
    loop) leaves ``.audit.head.XXXX.tmp``; the next writer removes it, in both places."""
    with Workspace.open(started) as ws:
        user_anchor = next(a.path for a in anchors_of(ws.conn, started)
                           if a.path.parent != started)
    leftovers = [started / ".audit.head.k1ll3d.tmp",
                 user_anchor.parent / f".{user_anchor.name}.k1ll3d.tmp"]
    for path in leftovers:
        path.write_text("12 ")
    with Workspace.open(started, readonly=True):
        assert all(p.exists() for p in leftovers)  # a reader leaves a writer's files alone
    run_cli("config", "analyst", "Next Writer", workspace=started, check=True)
    assert not any(p.exists() for p in leftovers)
    assert _verify(started)[0] == 0
