"""SQL for cases, captures, tags and settings.  Only the Workspace uses these.

Repositories never commit: the Workspace wraps each user action (the change
and its audit entry) in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workstation.models import Capture, Case
from workstation.storage import compact
from workstation.storage.sqlitelib import sqlite3

#: A thumbnail's recorded SHA-256, as hex (stored as its 32 bytes since 0012).
_THUMB_HASH = compact.hex_sql("sha256") + " AS sha256"

CAPTURE_COLUMNS = (
    "sha256", "md5", "size", "format", "width", "height", "captured_at", "captured_at_source",
    "imported_at", "analyst", "capture_method", "original_filename", "source_url", "platform",
    "handle", "content_id", "case_id", "notes", "app_version",
)


class SettingsRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def all(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.conn.execute("SELECT key, value FROM settings")}


class CaseRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self, name: str, created_at: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO cases (name, created_at) VALUES (?, ?)", (name, created_at)
        )
        return int(cur.lastrowid or 0)

    def by_name(self, name: str) -> Case | None:
        row = self.conn.execute(
            "SELECT c.*, (SELECT count(*) FROM captures WHERE case_id = c.id) AS n "
            "FROM cases c WHERE c.name = ?",
            (name,),
        ).fetchone()
        return _case(row) if row else None

    def by_id(self, case_id: int) -> Case | None:
        row = self.conn.execute(
            "SELECT c.*, (SELECT count(*) FROM captures WHERE case_id = c.id) AS n "
            "FROM cases c WHERE c.id = ?",
            (case_id,),
        ).fetchone()
        return _case(row) if row else None

    def all_cases(self) -> list[Case]:
        rows = self.conn.execute(
            "SELECT c.*, count(p.id) AS n FROM cases c LEFT JOIN captures p ON p.case_id = c.id "
            "GROUP BY c.id ORDER BY c.name COLLATE NOCASE"
        )
        return [_case(r) for r in rows]

    def set_status(self, case_id: int, status: str) -> None:
        self.conn.execute("UPDATE cases SET status = ? WHERE id = ?", (status, case_id))

    def count(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT count(*) AS n, coalesce(sum(status = 'open'), 0) AS open FROM cases"
        ).fetchone()
        return int(row["n"]), int(row["open"])


class CaptureRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def insert(self, values: dict[str, Any]) -> int:
        cols = [c for c in CAPTURE_COLUMNS if c in values]
        cur = self.conn.execute(
            f"INSERT INTO captures ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [values[c] for c in cols],
        )
        return int(cur.lastrowid or 0)

    def id_for_sha256(self, sha256: str) -> int | None:
        row = self.conn.execute("SELECT id FROM captures WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else int(row["id"])

    def get(self, capture_id: int) -> Capture | None:
        rows = self._select("WHERE p.id = ?", (capture_id,))
        return rows[0] if rows else None

    def select(
        self, case_id: int | None = None, ids: Iterable[int] | None = None
    ) -> list[Capture]:
        if ids is not None:
            id_list = list(ids)
            if not id_list:
                return []
            return self._select(
                f"WHERE p.id IN ({','.join('?' * len(id_list))}) ORDER BY p.id", id_list
            )
        if case_id is not None:
            return self._select("WHERE p.case_id = ? ORDER BY p.id", (case_id,))
        return self._select("ORDER BY p.id", ())

    def hashes(self) -> list[tuple[int, str]]:
        return [(r["id"], r["sha256"]) for r in
                self.conn.execute("SELECT id, sha256 FROM captures ORDER BY id")]

    def raw_rows(self) -> list[sqlite3.Row]:
        return list(self.conn.execute("SELECT * FROM captures ORDER BY id"))

    def update(self, capture_id: int, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = ?" for c in values)
        self.conn.execute(
            f"UPDATE captures SET {sets} WHERE id = ?", [*values.values(), capture_id]
        )

    def set_thumbnail_hash(self, capture_id: int, sha256: str) -> None:
        """Record the SHA-256 of the thumbnail the import made (migration 0008)."""
        self.conn.execute(
            "INSERT INTO thumbnail_hashes (capture_id, sha256) VALUES (?, ?)",
            (capture_id, compact.pack_hex(sha256)),
        )

    def thumbnail_hashes(self, ids: Iterable[int] | None = None) -> dict[int, str]:
        """capture id -> the recorded SHA-256 of its thumbnail (of ``ids``, or all);
        captures imported before 0008 have none."""
        if ids is None:
            rows = self.conn.execute(f"SELECT capture_id, {_THUMB_HASH} FROM thumbnail_hashes")
            return {r["capture_id"]: r["sha256"] for r in rows}
        out: dict[int, str] = {}
        id_list = list(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start:start + 500]
            rows = self.conn.execute(
                f"SELECT capture_id, {_THUMB_HASH} FROM thumbnail_hashes "
                f"WHERE capture_id IN ({','.join('?' * len(chunk))})", chunk)
            out.update({r["capture_id"]: r["sha256"] for r in rows})
        return out

    def add_tags(self, capture_id: int, tags: Iterable[str]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO capture_tags (capture_id, tag) VALUES (?, ?)",
            [(capture_id, t) for t in tags],
        )

    def remove_tags(self, capture_id: int, tags: Iterable[str]) -> None:
        self.conn.executemany(
            "DELETE FROM capture_tags WHERE capture_id = ? AND tag = ?",
            [(capture_id, t) for t in tags],
        )

    def tags(self, capture_id: int) -> tuple[str, ...]:
        return tuple(
            r["tag"] for r in self.conn.execute(
                "SELECT tag FROM capture_tags WHERE capture_id = ? ORDER BY tag", (capture_id,)
            )
        )

    def all_tags(self) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for r in self.conn.execute("SELECT capture_id, tag FROM capture_tags"):
            out.setdefault(r["capture_id"], set()).add(r["tag"])
        return out

    def stats(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM captures"
        ).fetchone()
        return int(row["n"]), int(row["bytes"])

    def _select(self, where: str, params: Iterable[Any]) -> list[Capture]:
        rows = self.conn.execute(
            "SELECT p.*, c.name AS case_name, "
            "(SELECT group_concat(tag, char(31)) FROM "
            " (SELECT tag FROM capture_tags t WHERE t.capture_id = p.id ORDER BY tag)) AS tag_list "
            f"FROM captures p LEFT JOIN cases c ON c.id = p.case_id {where}",
            list(params),
        )
        return [_capture(r) for r in rows]


def _case(row: sqlite3.Row) -> Case:
    return Case(row["id"], row["name"], row["status"], row["created_at"], int(row["n"]))


def _capture(row: sqlite3.Row) -> Capture:
    tags = tuple(row["tag_list"].split("\x1f")) if row["tag_list"] else ()
    return Capture(
        id=row["id"], sha256=row["sha256"], md5=row["md5"], size=row["size"],
        format=row["format"], width=row["width"], height=row["height"],
        captured_at=row["captured_at"], captured_at_source=row["captured_at_source"],
        imported_at=row["imported_at"], analyst=row["analyst"],
        capture_method=row["capture_method"], original_filename=row["original_filename"],
        source_url=row["source_url"], platform=row["platform"], handle=row["handle"],
        content_id=row["content_id"], case_id=row["case_id"], case=row["case_name"],
        notes=row["notes"], app_version=row["app_version"], tags=tags,
    )
