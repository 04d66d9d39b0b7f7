"""SQL for case bundles (:mod:`workstation.exchange`): what a case's export reads that no
other repository offers (the audit chain's hashes, a case's verdicts and timestamps),
and the ``case_imports`` table (migration 0010)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from workstation.storage.sqlitelib import sqlite3


class ExchangeRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ export
    def chain(self) -> Iterator[tuple[int, str]]:
        """(seq, hash) of every audit entry, in order."""
        for row in self.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq"):
            yield int(row[0]), str(row[1])

    def entries_about(self, subjects: Iterable[str]) -> list[sqlite3.Row]:
        """The audit entries whose subject is one of ``subjects``, in order."""
        wanted = sorted(set(subjects))
        rows: list[sqlite3.Row] = []
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            rows += self.conn.execute(
                f"SELECT * FROM audit_log WHERE subject IN ({','.join('?' * len(part))})",
                part).fetchall()
        return sorted(rows, key=lambda r: int(r["seq"]))

    def exhibit(self, capture_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT ref, assigned_at, assigned_by FROM exhibits WHERE capture_id = ?",
            (capture_id,)).fetchone()
        return row

    def entries_of(self, action: str) -> list[sqlite3.Row]:
        """The audit entries of one ``action``, in order (``verify``: no need to decode
        the whole trail again)."""
        return list(self.conn.execute(
            "SELECT subject, details FROM audit_log WHERE action = ? ORDER BY seq", (action,)))

    def reviews(self, capture_id: int) -> list[sqlite3.Row]:
        return list(self.conn.execute(
            "SELECT kind, normalized, verdict, analyst, reviewed_at FROM indicator_reviews "
            "WHERE capture_id = ? ORDER BY kind, normalized", (capture_id,)))

    def stamped(self, subjects: Iterable[str]) -> list[sqlite3.Row]:
        """The stamped timestamps over ``subjects``, in order."""
        wanted = sorted(set(subjects))
        if not wanted:
            return []
        return list(self.conn.execute(
            "SELECT * FROM timestamps WHERE state = 'stamped' AND subject IN "
            f"({','.join('?' * len(wanted))}) ORDER BY id", wanted))

    def covering_audit(self, seqs: Iterable[int]) -> list[sqlite3.Row]:
        """For each of ``seqs``, the first stamped timestamp over an audit head at or
        after it (which covers that entry through the chain); each token once."""
        found: dict[int, sqlite3.Row] = {}
        for seq in sorted(set(seqs)):
            row = self.conn.execute(
                "SELECT * FROM timestamps WHERE kind = 'audit' AND state = 'stamped' "
                "AND CAST(substr(subject, 7) AS INTEGER) >= ? "
                "ORDER BY CAST(substr(subject, 7) AS INTEGER), id LIMIT 1", (seq,)).fetchone()
            if row is not None:
                found[int(row["id"])] = row
        return [found[k] for k in sorted(found)]

    def pack_ids_with(self, capture_ids: Iterable[int]) -> list[int]:
        ids = sorted(set(capture_ids))
        if not ids:
            return []
        return [int(r[0]) for r in self.conn.execute(
            "SELECT DISTINCT pack_id FROM pack_items WHERE capture_id IN "
            f"({','.join('?' * len(ids))}) ORDER BY pack_id", ids)]

    # ------------------------------------------------------------------ imports
    def import_of(self, bundle_sha256: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM case_imports WHERE bundle_sha256 = ?", (bundle_sha256,)).fetchone()
        return row

    def imports(self, case_id: int | None = None) -> list[sqlite3.Row]:
        if case_id is None:
            return list(self.conn.execute("SELECT * FROM case_imports ORDER BY id"))
        return list(self.conn.execute(
            "SELECT * FROM case_imports WHERE case_id = ? ORDER BY id", (case_id,)))

    def insert_import(self, row: dict[str, Any]) -> int:
        values = dict(row)
        for key in ("foreign_head", "segment", "summary", "tokens"):
            values[key] = json.dumps(values[key], ensure_ascii=False, sort_keys=True)
        columns = sorted(values)
        cur = self.conn.execute(
            f"INSERT INTO case_imports ({', '.join(columns)}) VALUES "
            f"({', '.join('?' * len(columns))})", [values[c] for c in columns])
        return int(cur.lastrowid or 0)
