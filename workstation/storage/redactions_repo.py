"""SQL for redacted copies (table ``redactions``, migration 0009) and a pack item's
choice of one (``pack_items.redaction_id``).  Rows are only ever inserted; only the
redaction service, its ``verify`` check and pack sealing use this."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workstation.storage.sqlitelib import sqlite3

_COLUMNS = ("capture_id", "original_sha256", "sha256", "boxes", "log_sha256", "method",
            "created_at", "created_by")


class RedactionsRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def insert(self, row: Mapping[str, Any]) -> int:
        cur = self.conn.execute(
            f"INSERT INTO redactions ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in _COLUMNS)})", [row[c] for c in _COLUMNS])
        return int(cur.lastrowid or 0)

    def get(self, redaction_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM redactions WHERE id = ?", (redaction_id,)).fetchone()
        return row

    def current(self, capture_id: int) -> sqlite3.Row | None:
        """The newest redaction of a capture (its current copy)."""
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM redactions WHERE capture_id = ? ORDER BY id DESC LIMIT 1",
            (capture_id,)).fetchone()
        return row

    def history(self, capture_id: int) -> list[sqlite3.Row]:
        """Every redaction of a capture, oldest first."""
        return list(self.conn.execute(
            "SELECT * FROM redactions WHERE capture_id = ? ORDER BY id", (capture_id,)))

    def current_ids(self, capture_ids: list[int]) -> dict[int, int]:
        """capture id -> the id of its current redaction (captures with one)."""
        found: dict[int, int] = {}
        for start in range(0, len(capture_ids), 500):
            chunk = capture_ids[start:start + 500]
            for row in self.conn.execute(
                    "SELECT capture_id, MAX(id) AS id FROM redactions WHERE capture_id IN "
                    f"({', '.join('?' for _ in chunk)}) GROUP BY capture_id", chunk):
                found[row["capture_id"]] = row["id"]
        return found

    def all(self) -> list[sqlite3.Row]:
        """Every redaction (``verify``)."""
        return list(self.conn.execute("SELECT * FROM redactions ORDER BY id"))

    def audited(self) -> list[sqlite3.Row]:
        """The ``capture.redact`` audit entries (``verify`` compares the rows with them)."""
        return list(self.conn.execute(
            "SELECT seq, subject, details FROM audit_log WHERE action = 'capture.redact' "
            "ORDER BY seq"))

    def set_pack_items(self, pack_id: int, chosen: Mapping[int, int]) -> None:
        """Record which pack items go as a redacted copy (capture id -> redaction id)."""
        for capture_id, redaction_id in chosen.items():
            self.conn.execute(
                "UPDATE pack_items SET redaction_id = ? WHERE pack_id = ? AND capture_id = ?",
                (redaction_id, pack_id, capture_id))

    def pack_items(self, pack_id: int) -> dict[int, int]:
        """capture id -> redaction id of a pack's items that went as a redacted copy."""
        return {r["capture_id"]: r["redaction_id"] for r in self.conn.execute(
            "SELECT capture_id, redaction_id FROM pack_items WHERE pack_id = ? "
            "AND redaction_id IS NOT NULL", (pack_id,))}
