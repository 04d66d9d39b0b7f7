"""SQL for the analyst's verdicts on indicators (table ``indicator_reviews``, migration
0005).  A verdict is keyed by (capture, kind, normalised value), not by an indicator
row, because the ``indicators`` rows are rebuilt whenever the text is read again and
the verdict must survive that.  Only the review service and ``verify`` use this.
"""

from __future__ import annotations

from workstation.storage.sqlitelib import sqlite3

#: The verdicts the table accepts (its CHECK constraint); no row means "found".
VERDICTS = ("confirmed", "rejected")


class ReviewsRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, capture_id: int, kind: str, normalized: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM indicator_reviews WHERE capture_id = ? AND kind = ? "
            "AND normalized = ?", (capture_id, kind, normalized)).fetchone()
        return row

    def set(self, capture_id: int, kind: str, normalized: str, verdict: str, analyst: str,
            reviewed_at: str) -> None:
        """Store (or replace) the verdict on one indicator of a capture."""
        self.conn.execute(
            "INSERT INTO indicator_reviews (capture_id, kind, normalized, verdict, analyst, "
            "reviewed_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (capture_id, kind, normalized) DO UPDATE SET "
            "verdict = excluded.verdict, analyst = excluded.analyst, "
            "reviewed_at = excluded.reviewed_at",
            (capture_id, kind, normalized, verdict, analyst, reviewed_at))

    def delete(self, capture_id: int, kind: str, normalized: str) -> None:
        self.conn.execute(
            "DELETE FROM indicator_reviews WHERE capture_id = ? AND kind = ? AND normalized = ?",
            (capture_id, kind, normalized))

    def all(self) -> list[sqlite3.Row]:
        """Every stored verdict, also those whose indicator is no longer read (``verify``)."""
        return list(self.conn.execute(
            "SELECT * FROM indicator_reviews ORDER BY capture_id, kind, normalized"))
