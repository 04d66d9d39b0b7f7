"""SQL for the gallery's overview of each capture: the head of its latest OCR text,
its keyword flag categories, and the packs it is in with their answers.

Read in bulk (every capture, or those asked) so the gallery never queries per tile;
used by :mod:`workstation.evidence.overview`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from workstation.storage.reading_repo import decode_categories
from workstation.storage.sqlitelib import sqlite3

#: How much of the latest OCR text is read for a tile's "first words".
HEAD_CHARS = 400
_CHUNK = 500  # SQLite's limit on parameters, with room


def _chunks(ids: Iterable[int] | None) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    id_list = sorted({int(i) for i in ids})
    for start in range(0, len(id_list), _CHUNK):
        yield id_list[start:start + _CHUNK]


def _where(column: str, chunk: list[int] | None) -> tuple[str, list[int]]:
    if chunk is None:
        return "", []
    return f" AND {column} IN ({','.join('?' * len(chunk))})", chunk


class OverviewRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def text_heads(self, ids: Iterable[int] | None = None) -> dict[int, str]:
        """capture id -> the first characters of its latest OCR run's text (captures
        never read are absent)."""
        found: dict[int, str] = {}
        for chunk in _chunks(ids):
            where, params = _where("r.capture_id", chunk)
            rows = self.conn.execute(
                f"SELECT r.capture_id, substr(aw_inflate(r.text), 1, {HEAD_CHARS}) FROM ocr_runs r "
                "WHERE r.id = (SELECT max(id) FROM ocr_runs WHERE capture_id = r.capture_id)"
                + where, params)
            found.update({int(r[0]): str(r[1] or "") for r in rows})
        return found

    def flag_categories(self, ids: Iterable[int] | None = None) -> dict[int, list[str]]:
        """capture id -> the keyword categories that flagged it (flagged captures only)."""
        found: dict[int, list[str]] = {}
        for chunk in _chunks(ids):
            where, params = _where("capture_id", chunk)
            rows = self.conn.execute(
                "SELECT capture_id, categories FROM capture_flags WHERE flagged = 1" + where,
                params)
            for r in rows:
                found[int(r[0])] = decode_categories(r[1])
        return found

    def pack_items(self, ids: Iterable[int] | None = None) -> list[sqlite3.Row]:
        """Every (capture, pack) pair: the capture id, the pack's id, ref and state, and
        the item's outcome, oldest pack first."""
        rows: list[sqlite3.Row] = []
        for chunk in _chunks(ids):
            where, params = _where("i.capture_id", chunk)
            rows.extend(self.conn.execute(
                "SELECT i.capture_id, p.id AS pack_id, p.ref, p.state, i.outcome "
                "FROM pack_items i JOIN packs p ON p.id = i.pack_id WHERE 1 = 1" + where
                + " ORDER BY p.id", params))
        return rows
