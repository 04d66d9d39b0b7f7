"""SQL for what is read from captures: OCR runs, indicators, keyword flags,
perceptual hashes and the full-text index.  Only the Workspace uses this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from workstation.storage import ranking
from workstation.storage.sqlitelib import sqlite3
from workstation.textnorm import fold

#: The prefix lengths search_index keeps an index for (migrations/0004_search_prefixes.sql).
PREFIX_INDEX_LENGTHS = (2, 3, 4)
_PREFIX_PHRASE = re.compile(r'"([^"]*)"\*')


def _prefixes_indexed(match: str) -> bool:
    """Whether every prefix in an FTS5 query (as ``_fts_query`` writes them) has an index."""
    for phrase in _PREFIX_PHRASE.findall(match):
        words = re.findall(r"\w+", phrase)
        if words and len(words[-1]) not in PREFIX_INDEX_LENGTHS:
            return False
    return True


def decode_words(raw: str | bytes | None) -> list[dict[str, Any]]:
    """The words of an OCR run as stored in ``ocr_runs.words``, as a list of dicts
    (``text``, ``confidence``, ``bbox``, ``block``, ``paragraph``, ``line``, ``word``)."""
    if not raw:
        return []
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    words: list[dict[str, Any]] = json.loads(raw)
    return words


@contextmanager
def _read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """A read transaction around several queries (unless one is already open)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


class ReadingRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ OCR runs
    def insert_run(self, capture_id: int, run: dict[str, Any], created_at: str,
                   analyst: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO ocr_runs (capture_id, engine, engine_version, languages, params, text, "
            "words, confidence, duration, created_at, analyst) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (capture_id, run["engine"], run["engine_version"], run["languages"],
             json.dumps(run["params"], ensure_ascii=False, sort_keys=True), run["text"],
             json.dumps(run["words"], ensure_ascii=False, separators=(",", ":")),
             run["confidence"], run["duration"], created_at, analyst),
        )
        return int(cur.lastrowid or 0)

    def current_run(self, capture_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM ocr_runs WHERE capture_id = ? ORDER BY id DESC LIMIT 1", (capture_id,)
        ).fetchone()
        return row

    def runs(self, capture_id: int) -> list[sqlite3.Row]:
        return list(self.conn.execute(
            "SELECT * FROM ocr_runs WHERE capture_id = ? ORDER BY id", (capture_id,)))

    def all_run_texts(self) -> list[tuple[int, int, str]]:
        return [(r[0], r[1], r[2]) for r in
                self.conn.execute("SELECT id, capture_id, text FROM ocr_runs ORDER BY id")]

    def captures_without_ocr(self) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM captures WHERE id NOT IN (SELECT capture_id FROM ocr_runs) "
            "ORDER BY id")]

    def ocr_summaries(self, capture_ids: Sequence[int]) -> dict[int, sqlite3.Row]:
        if not capture_ids:
            return {}
        marks = ",".join("?" * len(capture_ids))
        rows = self.conn.execute(
            f"SELECT r.* FROM ocr_runs r WHERE r.capture_id IN ({marks}) AND r.id = "
            "(SELECT max(id) FROM ocr_runs WHERE capture_id = r.capture_id)", list(capture_ids))
        return {r["capture_id"]: r for r in rows}

    # ---------------------------------------------------------------- indicators
    def replace_indicators(self, capture_id: int, sources: Iterable[str],
                           indicators: Iterable[dict[str, Any]],
                           ocr_run_id: int | None = None) -> None:
        source_list = list(sources)
        self.conn.execute(
            f"DELETE FROM indicators WHERE capture_id = ? AND source IN "
            f"({','.join('?' * len(source_list))})", [capture_id, *source_list])
        self.conn.executemany(
            "INSERT INTO indicators (capture_id, kind, value, normalized, source, ocr_run_id, box) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(capture_id, i["kind"], i["value"], i["normalized"], i["source"],
              ocr_run_id if i["source"] == "ocr" else None,
              json.dumps(list(i["box"])) if i.get("box") else None) for i in indicators])

    def indicators(self, capture_id: int | None = None, kind: str | None = None
                   ) -> list[sqlite3.Row]:
        sql, params = "SELECT * FROM indicators WHERE 1 = 1", list[Any]()
        if capture_id is not None:
            sql += " AND capture_id = ?"
            params.append(capture_id)
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        return list(self.conn.execute(sql + " ORDER BY capture_id, id", params))

    def sharing(self, capture_id: int, kinds: Sequence[str]) -> list[sqlite3.Row]:
        """Other captures sharing a normalised indicator of ``kinds`` with ``capture_id``."""
        marks = ",".join("?" * len(kinds))
        return list(self.conn.execute(
            "SELECT DISTINCT o.capture_id AS other, o.kind, o.normalized "
            "FROM indicators mine JOIN indicators o "
            "  ON o.kind = mine.kind AND o.normalized = mine.normalized "
            f"WHERE mine.capture_id = ? AND o.capture_id != ? AND mine.kind IN ({marks}) "
            "ORDER BY o.capture_id, o.kind, o.normalized",
            [capture_id, capture_id, *kinds]))

    # ----------------------------------------------------------- keyword flags
    def replace_keywords(self, capture_id: int, hits: Iterable[dict[str, Any]], flagged: bool,
                         score: float, categories: Sequence[str]) -> None:
        self.conn.execute("DELETE FROM keyword_hits WHERE capture_id = ?", (capture_id,))
        self.conn.executemany(
            "INSERT INTO keyword_hits (capture_id, term, category, language, source) "
            "VALUES (?, ?, ?, ?, ?)",
            [(capture_id, h["term"], h["category"], h["language"], h["source"]) for h in hits])
        self.conn.execute(
            "INSERT INTO capture_flags (capture_id, flagged, score, categories) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (capture_id) DO UPDATE SET flagged = excluded.flagged, "
            "score = excluded.score, categories = excluded.categories",
            (capture_id, int(flagged), score, json.dumps(sorted(categories))))

    def flags(self, capture_ids: Sequence[int] | None = None) -> dict[int, tuple[bool, float]]:
        sql, params = "SELECT capture_id, flagged, score FROM capture_flags", list[int]()
        if capture_ids is not None:
            if not capture_ids:
                return {}
            sql += f" WHERE capture_id IN ({','.join('?' * len(capture_ids))})"
            params = list(capture_ids)
        return {r["capture_id"]: (bool(r["flagged"]), r["score"]) for r in
                self.conn.execute(sql, params)}

    def keyword_hits(self, capture_id: int) -> list[sqlite3.Row]:
        return list(self.conn.execute(
            "SELECT * FROM keyword_hits WHERE capture_id = ? ORDER BY category, term",
            (capture_id,)))

    # ------------------------------------------------------------ image hashes
    def set_pdq(self, capture_id: int, pdq: str, quality: int) -> None:
        self.conn.execute(
            "INSERT INTO image_hashes (capture_id, pdq, quality) VALUES (?, ?, ?) "
            "ON CONFLICT (capture_id) DO UPDATE SET pdq = excluded.pdq, quality = excluded.quality",
            (capture_id, pdq, quality))

    def pdq(self, capture_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT pdq, quality FROM image_hashes WHERE capture_id = ?", (capture_id,)).fetchone()
        return row

    def all_pdq(self) -> list[tuple[int, str, int]]:
        return [(r[0], r[1], r[2]) for r in
                self.conn.execute("SELECT capture_id, pdq, quality FROM image_hashes")]

    def captures_without_pdq(self) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM captures WHERE id NOT IN (SELECT capture_id FROM image_hashes)")]

    # -------------------------------------------------------------- full text
    def index(self, capture_id: int, ocr_text: str, notes: str, metadata: str,
              indicators: str) -> None:
        self.conn.execute("DELETE FROM search_index WHERE rowid = ?", (capture_id,))
        self.conn.execute(
            "INSERT INTO search_index (rowid, ocr_text, notes, metadata, indicators) "
            "VALUES (?, ?, ?, ?, ?)",
            (capture_id, fold(ocr_text), fold(notes), fold(metadata), fold(indicators)))

    def search(self, match: str, limit: int) -> list[tuple[int, float, str]]:
        """(capture id, rank, snippet) of the best ``limit`` matches, best first.

        Ranked first, snippets after for the hits alone: asked for in the ranked query,
        ``snippet()`` also runs for every row that passes through the top-N sorter on
        its way out, several hundred rows for a broad query.  Both steps read one
        snapshot.
        """
        with _read_snapshot(self.conn):
            ranked = [(r[0], r[1]) for r in self.conn.execute(
                f"SELECT rowid, {ranking.expression()} AS rank FROM search_index "
                "WHERE search_index MATCH ? ORDER BY rank, rowid LIMIT ?", (match, limit))]
            if not ranked:
                return []
            # FTS5 runs the query again for each rowid looked up, cheap unless a prefix
            # has no prefix index (then merging every word it starts is paid 50 times):
            # such queries scan their matches once instead ("+rowid" is not pushed down).
            rowid = "rowid" if _prefixes_indexed(match) else "+rowid"
            snippets = dict(self.conn.execute(
                "SELECT rowid, snippet(search_index, -1, '[', ']', '…', 12) FROM search_index "
                f"WHERE search_index MATCH ? AND {rowid} IN (SELECT value FROM json_each(?))",
                (match, json.dumps([capture_id for capture_id, _ in ranked]))))
        return [(capture_id, rank, snippets.get(capture_id, "")) for capture_id, rank in ranked]

    def indexed_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT rowid FROM search_index")}
