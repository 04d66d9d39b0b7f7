"""``workstation verify`` catches evidence and audit tampering done behind its back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli
from workstation.storage import compact
from workstation.storage.audit import entry_hash
from workstation.storage.sqlitelib import sqlite3


@pytest.fixture
def populated(tmp_path: Path, image_file) -> Path:
    ws = tmp_path / "ws"
    for _ in range(3):
        run_cli("import", str(image_file()), "--case", "Op Tamper", workspace=ws, check=True)
    run_cli("tag", "2", "priority", workspace=ws, check=True)
    run_cli("note", "3", "call the number", workspace=ws, check=True)
    clean = run_cli("verify", workspace=ws)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.strip().splitlines()[-1].startswith("OK:")
    return ws


def _verify(ws: Path) -> tuple[int, dict]:
    result = run_cli("verify", "--json", workspace=ws)
    return result.returncode, json.loads(result.stdout)


def _connect(ws: Path) -> sqlite3.Connection:
    """A plain connection, as a forger would open one, that can read the ``audit_log``
    view (its compressed columns: ``workstation.storage.compact``)."""
    conn = sqlite3.connect(ws / "workspace.db")
    compact.install(conn)
    return conn


def _sql(ws: Path, *statements: str) -> None:
    conn = _connect(ws)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _evidence(ws: Path, capture_id: int) -> Path:
    conn = sqlite3.connect(ws / "workspace.db")
    sha = conn.execute("SELECT sha256 FROM captures WHERE id = ?", (capture_id,)).fetchone()[0]
    conn.close()
    return ws / "evidence" / sha[:2] / sha[2:4] / sha


def test_one_changed_byte_in_evidence(populated: Path) -> None:
    path = _evidence(populated, 2)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, report = _verify(populated)
    assert code == 1
    assert [(p["kind"], p["capture_id"]) for p in report["problems"]] == [
        ("evidence-altered", 2)]
    text = run_cli("verify", workspace=populated).stdout
    assert "capture #2" in text and "altered" in text


def test_missing_evidence_file(populated: Path) -> None:
    _evidence(populated, 1).unlink()
    code, report = _verify(populated)
    assert code == 1
    assert report["problems"][0]["kind"] == "evidence-missing"
    assert report["problems"][0]["capture_id"] == 1


def test_changed_audit_row(populated: Path) -> None:
    _sql(populated, "UPDATE audit_entries SET analyst = 'someone else' WHERE seq = 3")
    code, report = _verify(populated)
    assert code == 1
    assert ("audit-altered", 3) in [(p["kind"], p["seq"]) for p in report["problems"]]


def test_changed_audit_row_with_recomputed_hash(populated: Path) -> None:
    conn = _connect(populated)
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT * FROM audit_log WHERE seq = 4").fetchone()
    details = json.dumps({"forged": True})
    forged = entry_hash(4, row["at"], row["analyst"], row["action"], row["subject"], details,
                        row["prev_hash"])
    # Stored as text: the view gives text back as it is (rows before 0011 were text).
    conn.execute("UPDATE audit_entries SET details = ?, hash = ? WHERE seq = 4",
                 (details, forged))
    conn.commit()
    conn.close()
    code, report = _verify(populated)
    assert code == 1
    # Entry 5's hash covers entry 4's: since 0011 the previous hash is not stored twice,
    # so the forgery shows as entry 5 no longer matching (before: a broken chain at 5).
    found = [(p["kind"], p["seq"]) for p in report["problems"]]
    assert ("audit-altered", 5) in found or ("audit-chain-broken", 5) in found


def test_deleted_audit_row_in_the_middle(populated: Path) -> None:
    _sql(populated, "DELETE FROM audit_entries WHERE seq = 4")
    code, report = _verify(populated)
    assert code == 1
    kinds = {(p["kind"], p["seq"]) for p in report["problems"]}
    assert ("audit-deleted", 5) in kinds
    # Entry 5 itself is untouched: it no longer follows the chain, it is not "altered".
    assert ("audit-chain-broken", 5) in kinds and ("audit-altered", 5) not in kinds


def test_deleted_newest_audit_rows(populated: Path) -> None:
    conn = _connect(populated)
    last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    conn.close()
    # A careful forger also rewinds the head table; the sidecar still catches it.
    _sql(populated, f"DELETE FROM audit_entries WHERE seq = {last}",
         f"UPDATE audit_head SET seq = {last - 1}, "
         f"hash = (SELECT hash FROM audit_log WHERE seq = {last - 1})")
    code, report = _verify(populated)
    assert code == 1
    assert any(p["kind"] == "audit-deleted" for p in report["problems"])


def test_inserted_audit_row(populated: Path) -> None:
    conn = _connect(populated)
    last, last_hash = conn.execute(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    _sql(populated,
         "INSERT INTO audit_entries (seq, at, analyst, action, subject, details, prev_hash, "
         "hash) "
         f"VALUES ({last + 1}, '2026-01-01T00:00:00.000Z', 'x', 'capture.edit', 'capture:1', "
         f"'{{}}', '{last_hash}', '{'0' * 64}')")
    code, report = _verify(populated)
    assert code == 1
    assert any(p["seq"] == last + 1 for p in report["problems"])


def test_capture_row_changed_behind_the_apps_back(populated: Path) -> None:
    _sql(populated, "UPDATE captures SET source_url = 'https://example.org/x' WHERE id = 1")
    code, report = _verify(populated)
    assert code == 1
    assert [(p["kind"], p["capture_id"]) for p in report["problems"]] == [("record-altered", 1)]


def test_capture_row_added_or_deleted_behind_the_apps_back(populated: Path) -> None:
    _sql(populated, "DELETE FROM capture_tags WHERE capture_id = 3",
         "DELETE FROM captures WHERE id = 3")
    code, report = _verify(populated)
    assert code == 1
    assert ("record-deleted", 3) in [(p["kind"], p["capture_id"]) for p in report["problems"]]
