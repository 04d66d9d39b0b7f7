"""SQL for trusted timestamps (``timestamps``) and the time-stamping authorities
(``tsa_authorities``).  Only :mod:`workstation.timestamps.service` uses it; the caller
wraps each change and its audit entry in one transaction."""

from __future__ import annotations

import json
from typing import Any

from workstation.storage.sqlitelib import sqlite3

_AUDIT_SEQ = "CAST(substr(subject, 7) AS INTEGER)"  # 'audit:SEQ'


class TimestampsRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------- timestamps
    def find(self, subject: str, digest: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM timestamps WHERE subject = ? AND digest = ? ORDER BY id LIMIT 1",
            (subject, digest)).fetchone()
        return None if row is None else int(row["id"])

    def insert(self, kind: str, subject: str, digest: str, request: bytes, nonce: str,
               queued_at: str, queued_by: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO timestamps (kind, subject, digest, request, nonce, queued_at, "
            "queued_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, subject, digest, request, nonce, queued_at, queued_by))
        return int(cur.lastrowid or 0)

    def get(self, timestamp_id: int) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM timestamps WHERE id = ?",
                                 (timestamp_id,)).fetchone()

    def all(self, state: str | None = None, subject: str | None = None) -> list[sqlite3.Row]:
        sql, params = "SELECT * FROM timestamps WHERE 1", []
        if state is not None:
            sql += " AND state = ?"
            params.append(state)
        if subject is not None:
            sql += " AND subject = ?"
            params.append(subject)
        return list(self.conn.execute(sql + " ORDER BY id", params))

    def stamped(self, timestamp_id: int, tsa_url: str, response: bytes, gen_time: str,
                stamped_at: str) -> None:
        self.conn.execute(
            "UPDATE timestamps SET state = 'stamped', tsa_url = ?, response = ?, gen_time = ?, "
            "stamped_at = ?, last_error = NULL WHERE id = ? AND state = 'queued'",
            (tsa_url, response, gen_time, stamped_at, timestamp_id))

    def set_error(self, timestamp_id: int, error: str) -> None:
        self.conn.execute("UPDATE timestamps SET last_error = ? WHERE id = ?",
                          (error, timestamp_id))

    def latest_audit(self) -> sqlite3.Row | None:
        """The newest request over the audit chain's head."""
        return self.conn.execute(
            f"SELECT *, {_AUDIT_SEQ} AS seq FROM timestamps WHERE kind = 'audit' "
            "ORDER BY seq DESC, id DESC LIMIT 1").fetchone()

    def covering_audit(self, seq: int) -> sqlite3.Row | None:
        """The earliest stamped audit-head token whose entry is ``seq`` or later."""
        return self.conn.execute(
            f"SELECT * FROM timestamps WHERE kind = 'audit' AND state = 'stamped' "
            f"AND {_AUDIT_SEQ} >= ? ORDER BY {_AUDIT_SEQ}, id LIMIT 1", (seq,)).fetchone()

    def actions_after(self, seq: int) -> list[str]:
        """The actions of the audit entries after ``seq``."""
        return [r["action"] for r in self.conn.execute(
            "SELECT DISTINCT action FROM audit_log WHERE seq > ?", (seq,))]

    def import_seq(self, capture_id: int) -> int | None:
        """The sequence number of the capture's ``capture.import`` entry."""
        row = self.conn.execute(
            "SELECT min(seq) AS seq FROM audit_log WHERE subject = ? AND action = "
            "'capture.import'", (f"capture:{capture_id}",)).fetchone()
        return None if row is None or row["seq"] is None else int(row["seq"])

    def stamped_details(self) -> dict[int, dict[str, Any]]:
        """Each token's ``timestamp.stamped`` audit details (its TSA, the verifier that
        accepted it, the SHA-256 of the response as received), by timestamp id."""
        found: dict[int, dict[str, Any]] = {}
        for row in self.conn.execute(
                "SELECT subject, details FROM audit_log WHERE action = 'timestamp.stamped'"):
            try:
                details = json.loads(row["details"])
                found[int(str(row["subject"]).split(":", 1)[1])] = dict(details)
            except (ValueError, IndexError, TypeError):
                continue
        return found

    def verifiers(self) -> dict[int, str]:
        """Which verifier accepted each stamped token."""
        return {tid: str(d.get("verifier")) for tid, d in self.stamped_details().items()}

    # ------------------------------------------------------------ authorities
    def authorities(self, *, include_removed: bool = False) -> list[sqlite3.Row]:
        sql = "SELECT * FROM tsa_authorities"
        if not include_removed:
            sql += " WHERE removed_at IS NULL"
        return list(self.conn.execute(sql + " ORDER BY position, id"))

    def authority(self, url: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM tsa_authorities WHERE url = ?",
                                 (url,)).fetchone()

    def add_authority(self, url: str, ca_pem: str, added_at: str, added_by: str) -> int:
        position = self._next_position()
        if self.authority(url) is not None:  # removed earlier: used again
            self.conn.execute(
                "UPDATE tsa_authorities SET ca_pem = ?, position = ?, added_at = ?, "
                "added_by = ?, removed_at = NULL WHERE url = ?",
                (ca_pem, position, added_at, added_by, url))
            row = self.authority(url)
            return int(row["id"]) if row is not None else 0
        cur = self.conn.execute(
            "INSERT INTO tsa_authorities (url, ca_pem, position, added_at, added_by) "
            "VALUES (?, ?, ?, ?, ?)", (url, ca_pem, position, added_at, added_by))
        return int(cur.lastrowid or 0)

    def _next_position(self) -> int:
        row = self.conn.execute(
            "SELECT coalesce(max(position), 0) + 1 AS p FROM tsa_authorities").fetchone()
        return int(row["p"])

    def remove_authority(self, url: str, removed_at: str) -> None:
        self.conn.execute("UPDATE tsa_authorities SET removed_at = ? WHERE url = ?",
                          (removed_at, url))
