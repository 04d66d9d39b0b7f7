"""The tamper-evident audit trail: an append-only, SHA-256 hash chain in SQLite.

Each entry's hash covers a canonical JSON encoding of its sequence number,
time, analyst, action, subject, details and the previous entry's hash, so
changing, deleting or inserting an entry breaks the chain.  The head of the
chain is also kept in ``audit_head`` (same transaction) and, outside the database,
in two anchor files (``audit.head`` and a per-user copy: :mod:`workstation.storage.anchor`),
so deleting the newest entries, or putting back an older copy of the database, is caught.

There is no secret in the chain: it shows that the log was changed behind the
application's back, not who changed it.  Signed checkpoints come with the
agency key (alert packs).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workstation.models import AuditEntry, Problem
from workstation.storage import compact
from workstation.storage.anchor import (
    Head,
    anchors_of,
    check_anchor,
    database_head,
    user_anchor_path,
    workspace_id,
    write_anchor,
)
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

GENESIS = "0" * 64
FORMAT = 1


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def entry_hash(
    seq: int, at: str, analyst: str, action: str, subject: str, details: str, prev_hash: str
) -> str:
    """SHA-256 over the canonical encoding of one entry (``details`` is canonical JSON)."""
    payload = canonical_json(
        {
            "v": FORMAT,
            "seq": seq,
            "at": at,
            "analyst": analyst,
            "action": action,
            "subject": subject,
            "details": json.loads(details),
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditLog:
    """Repository for ``audit_log``; appends must run inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, sidecar: Path) -> None:
        self.conn = conn
        self.sidecar = sidecar
        self._pending_head: tuple[int, str] | None = None

    def append(self, analyst: str, action: str, subject: str, details: dict[str, Any]) -> int:
        row = self.conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        prev_seq, prev_hash = (row["seq"], row["hash"]) if row else (0, GENESIS)
        seq = prev_seq + 1
        at = utc_now()
        details_text = canonical_json(details)
        digest = entry_hash(seq, at, analyst, action, subject, details_text, prev_hash)
        # Stored compactly (0011, 0012): the view ``audit_log`` gives the columns back as
        # they were written.
        self.conn.execute(
            "INSERT INTO audit_entries (seq, at, analyst, action, subject, details, prev_hash, "
            "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, compact.pack_time(at), analyst, action, subject, compact.deflate(details_text),
             None if prev_hash == self._derived_prev(seq) else prev_hash, bytes.fromhex(digest)),
        )
        self.conn.execute(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (seq, digest),
        )
        self._pending_head = (seq, digest)
        return seq

    def _derived_prev(self, seq: int) -> str | None:
        """The previous hash the ``audit_log`` view gives entry ``seq`` when its own is not
        stored: entry ``seq - 1``'s hash (GENESIS for the first)."""
        if seq == 1:
            return GENESIS
        row = self.conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq - 1,)).fetchone()
        return None if row is None else str(row[0])

    def committed(self) -> None:
        """Record the new head in both anchors (:mod:`workstation.storage.anchor`) after
        the transaction committed."""
        if self._pending_head is None:
            return
        head = Head(*self._pending_head)
        self._pending_head = None
        targets = [self.sidecar]
        ident = workspace_id(self.conn)
        if ident is not None:
            targets.append(user_anchor_path(ident, self.sidecar.parent))
        # Best effort: a crash between commit and these writes only makes an anchor lag,
        # and the next writer catches it up (a database *behind* an anchor is refused).
        for path in targets:
            with contextlib.suppress(OSError):
                write_anchor(path, head)

    def head(self) -> Head | None:
        """The newest entry (sequence and hash), ``None`` on an empty trail."""
        return database_head(self.conn)

    def has_action(self, action: str) -> bool:
        """Whether the trail holds an entry of ``action``."""
        return self.conn.execute(
            "SELECT 1 FROM audit_log WHERE action = ? LIMIT 1", (action,)).fetchone() is not None

    def anchor_problems(self, entries: int | None = None) -> list[Problem]:
        """Where the chain disagrees with its anchors (or an anchor is unreadable)."""
        count = self.count() if entries is None else entries
        problems: list[Problem] = []
        for anchor in anchors_of(self.conn, self.sidecar.parent):
            problems += check_anchor(self.conn, anchor, count)
        return problems

    def rolled_back(self) -> None:
        self._pending_head = None

    def pending_mark(self) -> tuple[int, str] | None:
        """The head appended in the open transaction so far (for a savepoint)."""
        return self._pending_head

    def restore_mark(self, mark: tuple[int, str] | None) -> None:
        """After a rollback to a savepoint: the head as it was at ``mark``."""
        self._pending_head = mark

    def entries(
        self, subjects: list[str] | None = None, after: int = 0, limit: int | None = None
    ) -> list[AuditEntry]:
        sql = "SELECT * FROM audit_log WHERE seq > ?"
        params: list[Any] = [after]
        if subjects is not None:
            if not subjects:
                return []
            sql += f" AND subject IN ({','.join('?' * len(subjects))})"
            params += subjects
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_entry(row) for row in self.conn.execute(sql, params)]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])

    def actions(self) -> list[str]:
        """The actions the trail holds, sorted (no entry's details are read)."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT action FROM audit_entries ORDER BY action")]

    def iter_all(self) -> Iterator[sqlite3.Row]:
        yield from self.conn.execute("SELECT * FROM audit_log ORDER BY seq")

    def verify_chain(self) -> tuple[int, list[Problem]]:
        """Walk the whole chain; return the number of entries and the problems found."""
        problems: list[Problem] = []
        expected_seq, prev_hash, count = 1, GENESIS, 0
        last_seq, last_hash = 0, GENESIS
        for row in self.iter_all():
            count += 1
            seq = row["seq"]
            if seq != expected_seq:
                if seq > expected_seq:
                    missing = (
                        f"entry {expected_seq}"
                        if seq == expected_seq + 1
                        else f"entries {expected_seq}–{seq - 1}"
                    )
                    problems.append(Problem("audit-deleted", f"audit {missing} deleted", seq=seq))
                else:  # cannot happen with INTEGER PRIMARY KEY, kept for clarity
                    problems.append(Problem("audit-inserted", f"audit entry {seq} out of order"))
            try:
                recomputed = entry_hash(
                    seq, row["at"], row["analyst"], row["action"], row["subject"],
                    row["details"], row["prev_hash"],
                )
            except (ValueError, TypeError):
                recomputed = ""
            # The previous entry is gone (0011 derives its hash, not stores it): this
            # entry cannot be checked on its own; it no longer follows the chain.
            orphan = seq > 1 and row["prev_hash"] == ""
            if recomputed != row["hash"] and not orphan:
                problems.append(
                    Problem("audit-altered", f"audit entry {seq} altered (its hash does not match "
                            "its contents and the previous entry's hash: it, or the entry "
                            "before it, was changed)", seq=seq)
                )
            elif orphan or row["prev_hash"] != prev_hash:
                problems.append(
                    Problem("audit-chain-broken", f"audit entry {seq} does not follow entry "
                            f"{last_seq}: an entry was altered, inserted or deleted before it",
                            seq=seq)
                )
            prev_hash = row["hash"]
            last_seq, last_hash = seq, row["hash"]
            expected_seq = seq + 1

        head = self.conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        if head is not None:
            if head["seq"] > last_seq:
                problems.append(Problem(
                    "audit-deleted",
                    f"audit entries {last_seq + 1}–{head['seq']} deleted (the recorded head is "
                    f"entry {head['seq']})", seq=last_seq + 1))
            elif head["seq"] < last_seq:
                problems.append(Problem(
                    "audit-inserted",
                    f"audit entries {head['seq'] + 1}–{last_seq} inserted after the recorded head",
                    seq=head["seq"] + 1))
            elif head["hash"] != last_hash:
                problems.append(Problem(
                    "audit-altered", f"audit entry {last_seq} replaced (head hash differs)",
                    seq=last_seq))
        elif count:
            problems.append(Problem("audit-altered", "the audit head record is missing"))

        problems += self.anchor_problems(count)
        return count, _dedupe(problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.kind, p.seq, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _entry(row: sqlite3.Row) -> AuditEntry:
    try:
        details = json.loads(row["details"])
    except ValueError:
        details = {"unreadable": row["details"]}
    return AuditEntry(
        row["seq"], row["at"], row["analyst"], row["action"], row["subject"], details,
        row["prev_hash"], row["hash"],
    )
