"""SQL of exhibit references (``exhibits``, migration 0009) and of the case view:
a case's captures, the packs that include them with the platforms' outcomes, and its
events from the audit trail (``workstation/evidence/exhibits.py``, ``cases.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from workstation.storage.sqlitelib import sqlite3


class ExhibitsRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def ref_for(self, capture_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT ref FROM exhibits WHERE capture_id = ?", (capture_id,)).fetchone()
        return None if row is None else str(row["ref"])

    def refs_for(self, ids: Iterable[int]) -> dict[int, str]:
        id_list = sorted({int(i) for i in ids})
        found: dict[int, str] = {}
        for start in range(0, len(id_list), 500):  # SQLite's limit on parameters
            chunk = id_list[start:start + 500]
            rows = self.conn.execute(
                f"SELECT capture_id, ref FROM exhibits WHERE capture_id IN "
                f"({','.join('?' * len(chunk))})", chunk)
            found.update({int(r["capture_id"]): str(r["ref"]) for r in rows})
        return found

    def all_refs(self) -> dict[int, str]:
        return {int(r["capture_id"]): str(r["ref"]) for r in
                self.conn.execute("SELECT capture_id, ref FROM exhibits ORDER BY capture_id")}

    def capture_exists(self, capture_id: int) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM captures WHERE id = ?", (capture_id,)).fetchone() is not None

    def ref_holder(self, ref: str) -> int | None:
        """The capture that holds ``ref`` (compared without case), else ``None``; a
        reference the audit trail records as assigned counts as held even if its row
        were gone (``-1``)."""
        row = self.conn.execute(
            "SELECT capture_id FROM exhibits WHERE ref = ? COLLATE NOCASE", (ref,)).fetchone()
        if row is not None:
            return int(row["capture_id"])
        row = self.conn.execute(
            "SELECT 1 FROM audit_log WHERE action = 'exhibit.assign' "
            "AND json_extract(details, '$.ref') = ? COLLATE NOCASE LIMIT 1", (ref,)).fetchone()
        return None if row is None else -1

    def refs_starting(self, prefix: str) -> list[str]:
        """Every reference that starts with ``prefix`` (without case), in the table or
        ever assigned according to the audit trail (so a number is never reused)."""
        pattern = _like_escape(prefix) + "%"
        rows = self.conn.execute(
            "SELECT ref FROM exhibits WHERE ref LIKE ? ESCAPE '\\' "
            "UNION SELECT json_extract(details, '$.ref') FROM audit_log "
            "WHERE action = 'exhibit.assign' "
            "AND json_extract(details, '$.ref') LIKE ? ESCAPE '\\'", (pattern, pattern))
        return [str(r[0]) for r in rows if r[0] is not None]

    def audited_refs(self) -> dict[int, str]:
        """capture id -> the reference its ``exhibit.assign`` entry records (the first)."""
        rows = self.conn.execute(
            "SELECT substr(subject, 9) AS capture_id, json_extract(details, '$.ref') AS ref "
            "FROM audit_log WHERE action = 'exhibit.assign' AND subject LIKE 'capture:%' "
            "AND json_valid(details) ORDER BY seq")
        found: dict[int, str] = {}
        for r in rows:
            if str(r["capture_id"]).isdigit() and r["ref"] is not None:
                found.setdefault(int(r["capture_id"]), str(r["ref"]))
        return found

    def insert(self, capture_id: int, ref: str, assigned_at: str, assigned_by: str) -> None:
        self.conn.execute(
            "INSERT INTO exhibits (capture_id, ref, assigned_at, assigned_by) "
            "VALUES (?, ?, ?, ?)", (capture_id, ref, assigned_at, assigned_by))


class CaseViewRepo:
    """What the case view shows of one case, read in a few queries."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rename(self, case_id: int, name: str) -> None:
        self.conn.execute("UPDATE cases SET name = ? WHERE id = ?", (name, case_id))

    def case_ids_of(self, capture_ids: Iterable[int]) -> dict[int, int | None]:
        """capture id -> its case id (``None``: no case), for the captures that exist."""
        id_list = sorted({int(i) for i in capture_ids})
        found: dict[int, int | None] = {}
        for start in range(0, len(id_list), 500):
            chunk = id_list[start:start + 500]
            rows = self.conn.execute(
                f"SELECT id, case_id FROM captures WHERE id IN ({','.join('?' * len(chunk))})",
                chunk)
            found.update({int(r["id"]): r["case_id"] for r in rows})
        return found

    def move(self, capture_ids: Iterable[int], case_id: int) -> None:
        self.conn.executemany("UPDATE captures SET case_id = ? WHERE id = ?",
                              [(case_id, int(i)) for i in capture_ids])

    def case_names(self) -> dict[int, str]:
        return {int(r["id"]): str(r["name"]) for r in
                self.conn.execute("SELECT id, name FROM cases")}

    def captures(self, case_id: int) -> list[sqlite3.Row]:
        return list(self.conn.execute(
            "SELECT c.id, e.ref AS exhibit, c.captured_at, c.platform, c.handle, "
            "c.source_url FROM captures c LEFT JOIN exhibits e ON e.capture_id = c.id "
            "WHERE c.case_id = ? ORDER BY c.id", (case_id,)))

    def pack_items(self, case_id: int) -> list[sqlite3.Row]:
        """Every item of every pack holding one of the case's captures (the items of
        other cases' captures in those packs are left out)."""
        return list(self.conn.execute(
            "SELECT p.id AS pack_id, p.ref AS pack_ref, p.state, p.platform, p.sealed_at, "
            "p.sent_at, i.capture_id, e.ref AS exhibit, i.outcome, i.outcome_at, "
            "i.outcome_comment FROM pack_items i JOIN packs p ON p.id = i.pack_id "
            "JOIN captures c ON c.id = i.capture_id "
            "LEFT JOIN exhibits e ON e.capture_id = i.capture_id "
            "WHERE c.case_id = ? ORDER BY p.id, i.position", (case_id,)))

    def timeline(self, case_id: int, name: str) -> list[sqlite3.Row]:
        """The audit entries about case ``case_id``: the case itself, its captures, the
        packs that hold them, captures moved out of it, redactions of its captures,
        reports on it, and the trusted timestamps of those packs and reports; in the
        order they were recorded."""
        return list(self.conn.execute(
            """
            WITH caps(id) AS (SELECT id FROM captures WHERE case_id = :case),
                 subjects(s) AS (
                     SELECT 'case:' || :case
                     UNION SELECT 'capture:' || id FROM caps
                     UNION SELECT DISTINCT 'pack:' || p.ref FROM pack_items i
                           JOIN packs p ON p.id = i.pack_id
                           WHERE i.capture_id IN (SELECT id FROM caps))
            SELECT seq, at, analyst, action, subject, details FROM audit_log
            WHERE subject IN (SELECT s FROM subjects)
               OR (action = 'case.move' AND EXISTS (
                       SELECT 1 FROM json_each(audit_log.details, '$.from')
                       WHERE json_extract(value, '$.case_id') = :case))
               OR (subject LIKE 'redaction:%'
                   AND json_extract(details, '$.capture_id') IN (SELECT id FROM caps))
               OR (action LIKE 'report.%' AND (json_extract(details, '$.case') = :name
                   OR json_extract(details, '$.case_id') = :case))
               OR (action LIKE 'timestamp.%' AND json_extract(details, '$.of') IN (
                       SELECT 'pack:' || pack_id FROM pack_items
                       WHERE capture_id IN (SELECT id FROM caps)
                       UNION SELECT 'report:' || json_extract(r.details, '$.sha256')
                       FROM audit_log r WHERE r.action = 'report.create'
                       AND r.subject = 'case:' || :case))
            ORDER BY seq
            """, {"case": case_id, "name": name}))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

