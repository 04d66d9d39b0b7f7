"""SQL for the case report (``workstation/report``): what a case holds, read in batches
so that a report of thousands of captures never holds them all at once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from workstation.storage import compact
from workstation.storage.sqlitelib import sqlite3

#: The most ids in one ``IN (...)`` list.
_CHUNK = 500


def _marks(ids: Sequence[Any]) -> str:
    return ",".join("?" * len(ids))


def _chunks(ids: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


class ReportRepo:
    """Read-only queries gathering a case report's contents."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def capture_ids(self, case_id: int) -> list[int]:
        """The case's captures, oldest first (ids only: the rest is read batch by batch)."""
        return [int(r[0]) for r in self.conn.execute(
            "SELECT id FROM captures WHERE case_id = ? ORDER BY captured_at, id", (case_id,))]

    def exhibit_refs(self, ids: Sequence[int]) -> dict[int, str]:
        """capture id -> exhibit reference, for those of ``ids`` that have one."""
        out: dict[int, str] = {}
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                f"SELECT capture_id, ref FROM exhibits WHERE capture_id IN ({_marks(chunk)})",
                list(chunk))
            out.update({int(r["capture_id"]): str(r["ref"]) for r in rows})
        return out

    def current_ocr(self, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
        """capture id -> its newest OCR run (text, languages, advert languages, time)."""
        out: dict[int, sqlite3.Row] = {}
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                "SELECT o.capture_id, aw_inflate(o.text) AS text, o.languages, o.advert_languages, "
                + compact.time_sql("o.created_at") + " AS created_at, "
                "o.engine, o.engine_version FROM ocr_runs o "
                f"WHERE o.capture_id IN ({_marks(chunk)}) AND o.id = (SELECT max(id) FROM "
                "ocr_runs p WHERE p.capture_id = o.capture_id)", list(chunk))
            out.update({int(r["capture_id"]): r for r in rows})
        return out

    def current_redactions(self, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
        """capture id -> its newest redaction row (the current redacted copy)."""
        out: dict[int, sqlite3.Row] = {}
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                f"SELECT r.* FROM redactions r WHERE r.capture_id IN ({_marks(chunk)}) "
                "AND r.id = (SELECT max(id) FROM redactions s WHERE s.capture_id = r.capture_id)",
                list(chunk))
            out.update({int(r["capture_id"]): r for r in rows})
        return out

    def pack_items(self, ids: Sequence[int]) -> dict[int, list[sqlite3.Row]]:
        """capture id -> the packs it went in (sealed or later), with the platform's outcome."""
        out: dict[int, list[sqlite3.Row]] = {}
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                "SELECT i.capture_id, i.outcome, i.outcome_at, i.outcome_comment, "
                "i.redaction_id, p.id AS pack_id, p.ref, p.platform, p.state, p.sealed_at, "
                "p.sent_at, p.file_sha256, p.sums_sha256 FROM pack_items i "
                "JOIN packs p ON p.id = i.pack_id "
                f"WHERE i.capture_id IN ({_marks(chunk)}) AND p.state != 'draft' "
                "ORDER BY i.capture_id, p.id", list(chunk))
            for r in rows:
                out.setdefault(int(r["capture_id"]), []).append(r)
        return out

    def first_audit_seq(self, subjects: Sequence[str]) -> dict[str, int]:
        """subject -> the sequence number of its first audit entry (its capture's import)."""
        out: dict[str, int] = {}
        for chunk in _chunks(subjects):
            rows = self.conn.execute(
                "SELECT subject, min(seq) AS seq FROM audit_log "
                f"WHERE subject IN ({_marks(chunk)}) GROUP BY subject", list(chunk))
            out.update({str(r["subject"]): int(r["seq"]) for r in rows})
        return out

    def timestamps(self, subjects: Sequence[str]) -> list[sqlite3.Row]:
        """The stamped timestamp rows for ``subjects`` (when no timestamp service is there)."""
        found: list[sqlite3.Row] = []
        for chunk in _chunks(subjects):
            found += self.conn.execute(
                "SELECT id, kind, subject, digest, tsa_url, gen_time, stamped_at, state "
                f"FROM timestamps WHERE subject IN ({_marks(chunk)}) ORDER BY id", list(chunk))
        return found

    def audit_subject_rows(self, subjects: Iterable[str]) -> Iterator[sqlite3.Row]:
        """The audit entries about ``subjects``, in order, streamed (found through the
        subject index: the rest of the trail is not read)."""
        wanted = json.dumps(sorted(set(subjects)))
        yield from self.conn.execute(
            "SELECT * FROM audit_log WHERE subject IN (SELECT value FROM json_each(?)) "
            "ORDER BY seq", (wanted,))
