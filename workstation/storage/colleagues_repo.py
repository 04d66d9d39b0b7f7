"""SQL of the ``colleagues`` table (migration 0010): other analysts' workspaces, kept
like contacts, that case bundles are encrypted to and whose signed bundles are accepted
(``workstation/exchange/colleagues.py``)."""

from __future__ import annotations

from typing import Any

from workstation.storage.sqlitelib import sqlite3

#: The columns ``insert`` writes, in order (``id`` and ``removed_at`` aside).
COLLEAGUE_COLUMNS = ("name", "recipient", "fingerprint", "minisign", "minisign_id",
                     "minisign_fingerprint", "created_at", "created_by")


class ColleaguesRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def insert(self, record: dict[str, Any]) -> int:
        """A new colleague row from ``record`` (every column of :data:`COLLEAGUE_COLUMNS`);
        its id."""
        cur = self.conn.execute(
            f"INSERT INTO colleagues ({', '.join(COLLEAGUE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLLEAGUE_COLUMNS))})",
            [record[c] for c in COLLEAGUE_COLUMNS])
        return int(cur.lastrowid or 0)

    def select(self, *, include_removed: bool = False) -> list[sqlite3.Row]:
        """The colleague rows by id; the removed ones too with ``include_removed``."""
        where = "" if include_removed else " WHERE removed_at IS NULL"
        return list(self.conn.execute(f"SELECT * FROM colleagues{where} ORDER BY id"))

    def get(self, colleague_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM colleagues WHERE id = ?", (colleague_id,)).fetchone()
        return row

    def current_by_recipient(self, recipient: str) -> sqlite3.Row | None:
        """The current (not removed) colleague holding the age recipient ``recipient``."""
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM colleagues WHERE recipient = ? AND removed_at IS NULL "
            "ORDER BY id LIMIT 1", (recipient,)).fetchone()
        return row

    def mark_removed(self, colleague_id: int, removed_at: str) -> bool:
        """Set ``removed_at`` on a current colleague; whether a row changed."""
        cur = self.conn.execute(
            "UPDATE colleagues SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
            (removed_at, colleague_id))
        return cur.rowcount > 0
