"""SQL for the agency's keys, contacts, alert packs, the outbox and outcomes.

Used by the services in :mod:`workstation.packs` (keys, contacts, compose, sending,
outcomes).  Like the other
repositories it never commits: ``Context.write()`` wraps each user action (the change
and its audit entry) in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from workstation.storage.sqlitelib import sqlite3

#: Columns of ``packs`` the façade may change with :meth:`PacksRepo.update_pack`.
PACK_UPDATABLE = frozenset({
    "state", "sealed_at", "deadline_at", "file_name", "file_size", "file_sha256",
    "manifest_sha256", "sums_sha256", "signing_key_id", "recipients", "message_id",
    "transport", "destination", "attempts", "next_attempt_at", "last_error", "sending_at",
    "sent_at", "acknowledged_at", "closed_at",
})


class PacksRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------- keys
    def insert_key(self, kind: str, key_id: str, public: str, fingerprint: str,
                   secret_name: str, created_at: str, created_by: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO agency_keys (kind, key_id, public, fingerprint, secret_name, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, key_id, public, fingerprint, secret_name, created_at, created_by),
        )
        return int(cur.lastrowid or 0)

    def current_key(self, kind: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM agency_keys WHERE kind = ? AND retired_at IS NULL", (kind,)
        ).fetchone()
        return row

    def agency_keys(self, kind: str | None = None) -> list[sqlite3.Row]:
        if kind is None:
            return self.conn.execute("SELECT * FROM agency_keys ORDER BY id").fetchall()
        return self.conn.execute(
            "SELECT * FROM agency_keys WHERE kind = ? ORDER BY id", (kind,)
        ).fetchall()

    def retire_key(self, key_row_id: int, retired_at: str) -> None:
        self.conn.execute("UPDATE agency_keys SET retired_at = ? WHERE id = ?",
                          (retired_at, key_row_id))

    # --------------------------------------------------------------- contacts
    def insert_contact(self, record: dict[str, Any]) -> int:
        columns = ("platform", "organisation", "name", "role", "email", "source", "created_at",
                   "created_by", "minisign_key")
        cur = self.conn.execute(
            f"INSERT INTO contacts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            tuple(record.get(c) for c in columns),
        )
        return int(cur.lastrowid or 0)

    def add_recipient(self, contact_id: int, kind: str, recipient: str, comment: str,
                      fingerprint: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO contact_recipients (contact_id, kind, recipient, comment, "
            "fingerprint) VALUES (?, ?, ?, ?, ?)",
            (contact_id, kind, recipient, comment, fingerprint),
        )

    def contact(self, contact_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM contacts WHERE id = ?", (contact_id,)
        ).fetchone()
        return row

    def contacts(self, platform: str | None = None) -> list[sqlite3.Row]:
        if platform is None:
            return self.conn.execute("SELECT * FROM contacts ORDER BY id").fetchall()
        return self.conn.execute(
            "SELECT * FROM contacts WHERE platform = ? ORDER BY id", (platform,)
        ).fetchall()

    def recipients(self, contact_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM contact_recipients WHERE contact_id = ? ORDER BY id", (contact_id,)
        ).fetchall()

    def find_contact(self, platform: str, email: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM contacts WHERE platform = ? AND lower(email) = lower(?) ORDER BY id",
            (platform, email),
        ).fetchall()

    def set_minisign_key(self, contact_id: int, key: str | None) -> None:
        """The platform's minisign public key (base64 line) for its signed replies."""
        self.conn.execute("UPDATE contacts SET minisign_key = ? WHERE id = ?",
                          (key, contact_id))

    def set_verified(self, contact_id: int, by: str, at: str, note: str | None) -> None:
        self.conn.execute(
            "UPDATE contacts SET verified_by = ?, verified_at = ?, verify_note = ? WHERE id = ?",
            (by, at, note, contact_id),
        )

    # ------------------------------------------------------------------ packs
    def max_sequence(self, prefix: str) -> int:
        """The highest number among refs ``<prefix><digits>`` (0 if none)."""
        row = self.conn.execute(
            "SELECT max(CAST(substr(ref, ?) AS INTEGER)) AS n FROM packs "
            "WHERE ref LIKE ? ESCAPE '\\'",
            (len(prefix) + 1, _like_prefix(prefix)),
        ).fetchone()
        return int(row["n"] or 0)

    def insert_pack(self, record: dict[str, Any]) -> int:
        columns = ("ref", "contact_id", "platform", "state", "priority", "action", "reason",
                   "basis", "created_at", "created_by")
        cur = self.conn.execute(
            f"INSERT INTO packs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            tuple(record.get(c) for c in columns),
        )
        return int(cur.lastrowid or 0)

    def insert_items(self, pack_id: int, capture_ids: Sequence[int],
                     requests: dict[int, dict[str, Any]] | None = None) -> None:
        """The pack's items in order, each with its own request (JSON of the fields that
        differ from the pack's, ``{}`` when none)."""
        requests = requests or {}
        self.conn.executemany(
            "INSERT INTO pack_items (pack_id, capture_id, position, request) "
            "VALUES (?, ?, ?, ?)",
            [(pack_id, cid, n, dumps(requests.get(cid) or {}))
             for n, cid in enumerate(capture_ids, start=1)],
        )

    def update_pack(self, pack_id: int, values: dict[str, Any]) -> None:
        unknown = set(values) - PACK_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if not values:
            return
        assignments = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(f"UPDATE packs SET {assignments} WHERE id = ?",
                          (*values.values(), pack_id))

    def set_state_if(self, pack_id: int, expected: Iterable[str], values: dict[str, Any]) -> bool:
        """Update only if the pack is in one of ``expected`` states; True if it was."""
        unknown = set(values) - PACK_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        states = list(expected)
        assignments = ", ".join(f"{k} = ?" for k in values)
        cur = self.conn.execute(
            f"UPDATE packs SET {assignments} WHERE id = ? AND state IN "
            f"({', '.join('?' * len(states))})",
            (*values.values(), pack_id, *states),
        )
        return cur.rowcount == 1

    def pack_by_ref(self, ref: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM packs WHERE ref = ?", (ref,)
        ).fetchone()
        return row

    def pack_by_id(self, pack_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM packs WHERE id = ?", (pack_id,)
        ).fetchone()
        return row

    def packs(self, states: Iterable[str] | None = None) -> list[sqlite3.Row]:
        if states is None:
            return self.conn.execute("SELECT * FROM packs ORDER BY id").fetchall()
        wanted = list(states)
        return self.conn.execute(
            f"SELECT * FROM packs WHERE state IN ({', '.join('?' * len(wanted))}) ORDER BY id",
            wanted,
        ).fetchall()

    def due_packs(self, now: str, transport: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM packs WHERE state = 'queued' AND transport = ? AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id",
            (transport, now),
        ).fetchall()

    def items(self, pack_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM pack_items WHERE pack_id = ? ORDER BY position", (pack_id,)
        ).fetchall()

    def set_outcome(self, pack_id: int, capture_id: int, outcome: str, at: str | None,
                    comment: str | None, recorded_at: str) -> None:
        self.conn.execute(
            "UPDATE pack_items SET outcome = ?, outcome_at = ?, outcome_comment = ?, "
            "outcome_recorded_at = ? WHERE pack_id = ? AND capture_id = ?",
            (outcome, at, comment, recorded_at, pack_id, capture_id),
        )

    def packs_with_capture(self, capture_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT p.ref, p.state, i.outcome FROM pack_items i JOIN packs p ON p.id = i.pack_id "
            "WHERE i.capture_id = ? ORDER BY p.id",
            (capture_id,),
        ).fetchall()

    def captures_in_packs(self, states: Sequence[str]) -> set[int]:
        marks = ", ".join("?" for _ in states)
        rows = self.conn.execute(
            "SELECT DISTINCT i.capture_id FROM pack_items i JOIN packs p ON p.id = i.pack_id "
            f"WHERE p.state IN ({marks})", tuple(states)).fetchall()
        return {int(r[0]) for r in rows}

    # ------------------------------------------------------------- indicators
    def add_pack_indicators(self, pack_id: int, pairs: Iterable[tuple[str, str]]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO pack_indicators (pack_id, kind, normalized) VALUES (?, ?, ?)",
            [(pack_id, kind, value) for kind, value in pairs],
        )

    def prior_refs(self, pairs: Iterable[tuple[str, str]], exclude_pack: int) -> dict[
            tuple[str, str], list[str]]:
        """For each (kind, normalized): the refs of sealed packs that mentioned it."""
        found: dict[tuple[str, str], list[str]] = {}
        for kind, value in set(pairs):
            rows = self.conn.execute(
                "SELECT p.ref FROM pack_indicators x JOIN packs p ON p.id = x.pack_id "
                "WHERE x.kind = ? AND x.normalized = ? AND x.pack_id != ? ORDER BY p.id",
                (kind, value, exclude_pack),
            ).fetchall()
            if rows:
                found[(kind, value)] = [r["ref"] for r in rows]
        return found

    # --------------------------------------------------------------- attempts
    def add_attempt(self, pack_id: int, at: str, transport: str, destination: str | None,
                    result: str, error: str | None) -> None:
        self.conn.execute(
            "INSERT INTO pack_attempts (pack_id, at, transport, destination, result, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (pack_id, at, transport, destination, result, error),
        )

    def attempts(self, pack_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM pack_attempts WHERE pack_id = ? ORDER BY id", (pack_id,)
        ).fetchall()

    # ------------------------------------------------------------------ stats
    def stats_rows(self) -> list[sqlite3.Row]:
        """One row per item of every pack that has been sent."""
        return self.conn.execute(
            "SELECT p.platform, p.ref, p.sent_at, i.outcome, i.outcome_at FROM packs p "
            "JOIN pack_items i ON i.pack_id = p.id "
            "WHERE p.state IN ('sent', 'acknowledged', 'closed') ORDER BY p.platform, p.id"
        ).fetchall()


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def dumps(value: Any) -> str:
    """Compact JSON for the TEXT columns holding JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
