"""0011: the audit trail's details and hashes and the OCR text stored compactly, read
back exactly; a chain broken before the upgrade stays broken; damage is reported."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT, run_cli
from workstation.storage import compact
from workstation.storage.db import PAGE_SIZE
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

V10 = ROOT / "tests" / "fixtures" / "workspaces" / "v10"
READ_V4 = ROOT / "tests" / "fixtures" / "ocr-workspaces" / "v4"
AUDIT_COLUMNS = "seq, at, analyst, action, subject, details, prev_hash, hash"


def _copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    for f in dest.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    return dest


def _changed_v10(tmp_path: Path, *statements: str) -> Path:
    """A copy of the v10 workspace with ``statements`` run on it behind the application's
    back (before the upgrade)."""
    copy = _copy(V10, tmp_path / "v10")
    conn = sqlite3.connect(copy / "workspace.db")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return copy


def _plain(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path / "workspace.db")
    compact.install(conn)
    return conn


@given(st.text())
def test_any_text_reads_back_exactly(text: str) -> None:
    stored = compact.deflate(text)
    assert compact.inflate(stored) == text
    assert isinstance(stored, str) or len(stored) < len(text.encode("utf-8"))


def test_short_text_is_stored_as_it_is_and_long_text_compressed() -> None:
    assert compact.deflate('{"a":1}') == '{"a":1}'
    long = json.dumps({"record": {"sha256": "ab" * 32, "notes": "boat " * 40}})
    stored = compact.deflate(long)
    assert isinstance(stored, bytes) and stored[0] in (compact.VERSION, *compact.DICTIONARIES)
    assert compact.inflate(stored) == long
    assert compact.deflate(None) is None and compact.inflate(None) is None


def test_a_damaged_value_reads_as_damaged_not_as_an_error() -> None:
    stored = compact.deflate("x" * 500)
    assert isinstance(stored, bytes)
    assert compact.inflate(stored[:-3]) == compact.DAMAGED  # cut short
    assert compact.inflate(b"\x09" + stored[1:]) == compact.DAMAGED  # unknown version
    assert compact.inflate(b"") == compact.DAMAGED
    assert compact.inflate(stored + b"more") == compact.DAMAGED  # bytes after the stream
    bomb = bytes([compact.VERSION]) + zlib.compress(b" " * (compact.MAX_TEXT + 1))
    assert compact.inflate(bomb) == compact.DAMAGED
    assert compact.deflate(b"x" * 100) == b"x" * 100  # not text: stored as found
    assert compact.deflate(12) == 12
    assert compact.inflate(b"\x01" + zlib.compress(b"\xff\xfe")) == compact.DAMAGED


def test_the_upgrade_keeps_every_audit_row_and_text_exactly(tmp_path: Path) -> None:
    copy = _copy(V10, tmp_path / "v10")
    conn = sqlite3.connect(copy / "workspace.db")
    before = conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq").fetchall()
    conn.close()
    read = _copy(READ_V4, tmp_path / "read")
    conn = sqlite3.connect(read / "workspace.db")
    texts = conn.execute("SELECT id, text FROM ocr_runs ORDER BY id").fetchall()
    conn.close()
    assert before and texts

    with Workspace.open(copy) as ws:
        after = [tuple(r) for r in ws.conn.execute(
            f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq")]
        kinds = ws.conn.execute(
            "SELECT DISTINCT typeof(hash), typeof(prev_hash) FROM audit_entries").fetchall()
        assert ws.verify().ok
    assert after[:len(before)] == [tuple(r) for r in before]
    assert [tuple(k) for k in kinds] == [("blob", "null")]
    with Workspace.open(read) as ws:
        runs = [(r["id"], r["text"]) for r in ReadingRepo(ws.conn).all_run_summaries()]
        stored = {r[0] for r in ws.conn.execute("SELECT typeof(text) FROM ocr_runs")}
        assert ws.verify().ok
    assert runs[:len(texts)] == [tuple(t) for t in texts]
    assert "blob" in stored


def test_a_chain_broken_before_the_upgrade_is_still_reported(tmp_path: Path) -> None:
    """A previous hash changed behind the application's back and a hash that is not hex
    are kept as found, so ``verify`` still reports both after the upgrade."""
    copy = _changed_v10(tmp_path, f"UPDATE audit_log SET prev_hash = '{'f' * 64}' WHERE seq = 3",
                        "UPDATE audit_log SET hash = upper(hash) WHERE seq = 5")
    with Workspace.open(copy) as ws:
        found = {(p.kind, p.seq) for p in ws.verify().problems}
        stored = ws.conn.execute(
            "SELECT seq, prev_hash, typeof(hash) FROM audit_entries WHERE seq IN (3, 5) "
            "ORDER BY seq").fetchall()
    assert ("audit-altered", 3) in found  # its hash covers the previous hash it was given
    assert ("audit-altered", 5) in found
    assert [tuple(r) for r in stored] == [(3, "f" * 64, "blob"), (5, None, "text")]


def test_values_of_the_wrong_type_do_not_stop_the_upgrade(tmp_path: Path) -> None:
    """A BLOB where the details or a hash were text (changed behind the application's
    back) is kept as found: the upgrade goes through and ``verify`` reports the entries."""
    copy = _changed_v10(tmp_path,
                        "UPDATE audit_log SET details = CAST(details AS BLOB) WHERE seq = 3",
                        "UPDATE audit_log SET hash = CAST(hash AS BLOB) WHERE seq = 4")
    with Workspace.open(copy) as ws:
        found = {(p.kind, p.seq) for p in ws.verify().problems}
        kinds = ws.conn.execute(
            "SELECT seq, aw_inflate(details) = ?, length(hash) FROM audit_entries "
            "WHERE seq IN (3, 4) ORDER BY seq", (compact.DAMAGED,)).fetchall()
    assert ("audit-altered", 3) in found and ("audit-altered", 4) in found
    # Seq 3's details are the BLOB as found; seq 4's hash the 64-character BLOB.
    assert [tuple(k) for k in kinds] == [(3, 1, 32), (4, 0, 64)]


def test_damaged_compressed_details_are_reported_by_verify(tmp_path: Path,
                                                          image_file) -> None:
    ws = tmp_path / "ws"
    run_cli("import", str(image_file()), workspace=ws, check=True)
    conn = _plain(ws)
    seq, details = conn.execute(
        "SELECT seq, details FROM audit_entries WHERE typeof(details) = 'blob' "
        "ORDER BY seq LIMIT 1").fetchone()
    conn.execute("UPDATE audit_entries SET details = ? WHERE seq = ?",
                 (bytes(details[:-4]), seq))
    conn.commit()
    conn.close()
    result = run_cli("verify", "--json", workspace=ws)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert ("audit-altered", seq) in {(p["kind"], p["seq"]) for p in problems}


def test_a_new_workspace_uses_large_pages_an_encrypted_one_sqlciphers_own(
        tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "plain") as ws:
        assert ws.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
    with Workspace.create_encrypted(tmp_path / "secret", "a long passphrase") as ws:
        assert int(ws.conn.execute("PRAGMA page_size").fetchone()[0]) == 4096
        ws.set_setting("analyst", "Ana")
        assert ws.verify().ok
