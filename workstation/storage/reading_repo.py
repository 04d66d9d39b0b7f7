"""SQL for what is read from captures: OCR runs, indicators, keyword flags,
perceptual hashes and the full-text index.  Only the Workspace uses this.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from workstation.storage import compact, ranking, wordcodec
from workstation.storage.sqlitelib import sqlite3
from workstation.textnorm import fold


def decode_words(raw: str | bytes | None, text: str | None = None) -> list[dict[str, Any]]:
    """The words of an OCR run as stored in ``ocr_runs.words``, as a list of dicts
    (``text``, ``confidence``, ``bbox``, ``block``, ``paragraph``, ``line``, ``word``).

    ``text``: the run's ``ocr_runs.text``, which the compact form (``wordcodec``, every
    run stored since 0005) takes the word texts from; rows stored as JSON do not need it.
    """
    return wordcodec.decode(raw, text)


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


#: A keyword hit's source as one letter in ``capture_flags.hits`` (0007), and back.
_HIT_SOURCE_CODES = {"ocr": "", "notes": "n"}
_HIT_SOURCES = {"o": "ocr", "n": "notes"}  # "o": as written before 0012
#: A capture's PDQ hash, as hex (stored as its 32 bytes since 0012).
_PDQ = compact.hex_sql("pdq") + " AS pdq"
#: An OCR run's columns, its text and parameters as written (stored compressed since 0011
#: and 0012: ``compact``).
_RUN = ("id, capture_id, engine, engine_version, languages, aw_inflate(params) AS params, "
        "aw_inflate(text) AS text, "
        "words, confidence, duration, " + compact.time_sql("created_at") + " AS created_at, "
        "analyst, advert_languages, coverage, unread")


def run_params(stored: str) -> dict[str, Any]:
    """An OCR run's parameters; ``{"damaged": True}`` when what is stored is not their
    JSON (changed behind the application's back: ``verify`` reports the run)."""
    try:
        params = json.loads(stored)
    except (TypeError, ValueError):
        return {"damaged": True}
    return params if isinstance(params, dict) else {"damaged": True}


def encode_categories(categories: Iterable[str]) -> str:
    """``capture_flags.categories`` as stored: the names joined by commas (0012), or a
    JSON list (as before 0012) when a name holds a comma or starts with "["."""
    names = sorted(categories)
    if any("," in n or n.startswith("[") or not n for n in names):
        return json.dumps(names, separators=(",", ":"))
    return ",".join(names)


def decode_categories(stored: str | None) -> list[str]:
    """The categories :func:`encode_categories` (or a release before 0012) stored."""
    if not stored:
        return []
    if stored.startswith("["):
        try:
            value = json.loads(stored)
        except ValueError:
            return []
        return [str(c) for c in value if c] if isinstance(value, list) else []
    return [c for c in stored.split(",") if c]


class ReadingRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ OCR runs
    def insert_run(self, capture_id: int, run: dict[str, Any], created_at: str,
                   analyst: str) -> int:
        """Store a run; its words in the compact form (:mod:`wordcodec`), which is exact or
        falls back to JSON."""
        cur = self.conn.execute(
            "INSERT INTO ocr_runs (capture_id, engine, engine_version, languages, params, text, "
            "words, confidence, duration, created_at, analyst, advert_languages, coverage, "
            "unread) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (capture_id, run["engine"], run["engine_version"], run["languages"],
             compact.deflate(json.dumps(run["params"], ensure_ascii=False, sort_keys=True)),
             compact.deflate(run["text"]),
             wordcodec.encode_words(run["words"], run["text"]),
             run["confidence"], run["duration"], compact.pack_time(created_at), analyst,
             str(run.get("advert_languages") or ""), run.get("coverage"),
             json.dumps([list(b) for b in run.get("unread") or []])),
        )
        return int(cur.lastrowid or 0)

    def current_run(self, capture_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            f"SELECT {_RUN} FROM ocr_runs WHERE capture_id = ? ORDER BY id DESC LIMIT 1",
            (capture_id,)).fetchone()
        return row

    def runs(self, capture_id: int) -> list[sqlite3.Row]:
        return list(self.conn.execute(
            f"SELECT {_RUN} FROM ocr_runs WHERE capture_id = ? ORDER BY id", (capture_id,)))

    def all_run_summaries(self) -> list[sqlite3.Row]:
        """Every run's text, parameters and what was found of the page (advert languages,
        coverage, unread regions), without its words (``verify``)."""
        return list(self.conn.execute(
            "SELECT id, capture_id, aw_inflate(text) AS text, aw_inflate(params) AS params, "
            "advert_languages, coverage, unread FROM ocr_runs ORDER BY id"))

    def earlier_run_texts(self, capture_id: int, run_id: int) -> list[str]:
        """The texts of the capture's runs before ``run_id``: the other readings the
        indicators of that run were compared with when it was stored."""
        return [r[0] for r in self.conn.execute(
            "SELECT aw_inflate(text) FROM ocr_runs WHERE capture_id = ? AND id < ? ORDER BY id",
            (capture_id, run_id))]

    def captures_without_ocr(self) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM captures WHERE id NOT IN (SELECT capture_id FROM ocr_runs) "
            "ORDER BY id")]

    def ocr_summaries(self, capture_ids: Sequence[int]) -> dict[int, sqlite3.Row]:
        if not capture_ids:
            return {}
        marks = ",".join("?" * len(capture_ids))
        rows = self.conn.execute(
            f"SELECT {_RUN} FROM ocr_runs r WHERE r.capture_id IN ({marks}) AND r.id = "
            "(SELECT max(id) FROM ocr_runs WHERE capture_id = r.capture_id)", list(capture_ids))
        return {r["capture_id"]: r for r in rows}

    # ---------------------------------------------------------------- indicators
    def replace_indicators(self, capture_id: int, sources: Iterable[str],
                           indicators: Iterable[dict[str, Any]],
                           ocr_run_id: int | None = None) -> None:
        """Replace the capture's indicators of ``sources``.  The analyst's verdicts are
        kept apart (``indicator_reviews``), so they survive this."""
        source_list = list(sources)
        self.conn.execute(
            f"DELETE FROM indicators WHERE capture_id = ? AND source IN "
            f"({','.join('?' * len(source_list))})", [capture_id, *source_list])
        self.conn.executemany(
            "INSERT INTO indicators (capture_id, kind, value, normalized, source, ocr_run_id, box, "
            "platform, confidence, attention) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(capture_id, i["kind"], i["value"], i["normalized"], i["source"],
              ocr_run_id if i["source"] == "ocr" else None,
              json.dumps(list(i["box"]), separators=(",", ":")) if i.get("box") else None,
              i.get("platform"), i.get("confidence"), i.get("attention")) for i in indicators])

    def indicators(self, capture_id: int | None = None, kind: str | None = None, *,
                   unreviewed: bool = False) -> list[sqlite3.Row]:
        """Indicator rows, each with ``verdict``: the analyst's ('confirmed', 'rejected')
        or NULL when not reviewed, and ``typed``: 1 when the capture's notes or metadata
        (what the analyst typed) have the same kind and normalised value; ``unreviewed``:
        only those read by OCR without either (what ``indicator_status`` calls found)."""
        # "+t.normalized": looked up by capture (a handful of rows), not by the value
        # (which thousands of captures may share).
        typed = ("EXISTS (SELECT 1 FROM indicators t WHERE t.capture_id = i.capture_id "
                 "AND t.kind = i.kind AND +t.normalized = i.normalized AND t.source != 'ocr')")
        sql = (f"SELECT i.*, v.verdict AS verdict, {typed} AS typed FROM indicators i "
               "LEFT JOIN indicator_reviews v ON v.capture_id = i.capture_id "
               "AND v.kind = i.kind AND v.normalized = i.normalized WHERE 1 = 1")
        params: list[Any] = []
        if unreviewed:
            sql += f" AND i.source = 'ocr' AND v.verdict IS NULL AND NOT {typed}"
        if capture_id is not None:
            sql += " AND i.capture_id = ?"
            params.append(capture_id)
        if kind is not None:
            sql += " AND i.kind = ?"
            params.append(kind)
        return list(self.conn.execute(sql + " ORDER BY i.capture_id, i.id", params))

    def sharing(self, capture_id: int, kinds: Sequence[str]) -> list[sqlite3.Row]:
        """Other captures sharing a normalised indicator of ``kinds`` with ``capture_id``;
        an indicator the analyst rejected (a misreading) links nothing, on either side."""
        marks = ",".join("?" * len(kinds))
        rejected = ("NOT EXISTS (SELECT 1 FROM indicator_reviews v WHERE v.capture_id = {t}"
                    ".capture_id AND v.kind = {t}.kind AND v.normalized = {t}.normalized "
                    "AND v.verdict = 'rejected')")
        return list(self.conn.execute(
            "SELECT DISTINCT o.capture_id AS other, o.kind, o.normalized "
            "FROM indicators mine JOIN indicators o "
            "  ON o.kind = mine.kind AND o.normalized = mine.normalized "
            f"WHERE mine.capture_id = ? AND o.capture_id != ? AND mine.kind IN ({marks}) "
            f"AND {rejected.format(t='mine')} AND {rejected.format(t='o')} "
            "ORDER BY o.capture_id, o.kind, o.normalized",
            [capture_id, capture_id, *kinds]))

    def read_contacts(self, capture_ids: Sequence[int], kinds: Sequence[str]
                      ) -> dict[int, set[str]]:
        """capture id → the normalised indicators of ``kinds`` OCR read in it (those the
        analyst rejected left out), for all of ``capture_ids`` in one query; a capture
        without any is absent."""
        marks = ",".join("?" * len(kinds))
        found: dict[int, set[str]] = {}
        for capture_id, normalized in self.conn.execute(
                "SELECT i.capture_id, i.normalized FROM indicators i "
                "WHERE i.capture_id IN (SELECT value FROM json_each(?)) AND i.source = 'ocr' "
                f"AND i.kind IN ({marks}) AND NOT EXISTS (SELECT 1 FROM indicator_reviews v "
                "WHERE v.capture_id = i.capture_id AND v.kind = i.kind "
                "AND v.normalized = i.normalized AND v.verdict = 'rejected')",
                [json.dumps([int(c) for c in capture_ids]), *kinds]):
            found.setdefault(int(capture_id), set()).add(str(normalized))
        return found

    # ----------------------------------------------------------- keyword flags
    def replace_keywords(self, capture_id: int, hits: Iterable[dict[str, Any]], flagged: bool,
                         score: float, categories: Sequence[str]) -> None:
        """Store a capture's keyword verdict and hits (0007: the hits as one compact text
        of term ids and source letters in its ``capture_flags`` row; since 0012 a hit in
        the OCR text, the most common, has no letter)."""
        coded = ",".join(f"{self._term_id(h['term'], h['category'], h['language'])}"
                         f"{_HIT_SOURCE_CODES[h['source']]}" for h in hits)
        self.conn.execute(
            "INSERT INTO capture_flags (capture_id, flagged, score, categories, hits) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (capture_id) DO UPDATE SET "
            "flagged = excluded.flagged, score = excluded.score, "
            "categories = excluded.categories, hits = excluded.hits",
            (capture_id, int(flagged), score, encode_categories(categories), coded))

    def _term_id(self, term: str, category: str, language: str) -> int:
        """The id of a lexicon term in ``keyword_terms`` (added on first use; not cached,
        so an id is never used after the transaction that added it was rolled back)."""
        key = (term, category, language)
        row = self.conn.execute("SELECT id FROM keyword_terms WHERE term = ? AND category = ? "
                                "AND language = ?", key).fetchone()
        if row is None:
            row = self.conn.execute("INSERT INTO keyword_terms (term, category, language) "
                                    "VALUES (?, ?, ?) RETURNING id", key).fetchone()
        return int(row[0])

    def flags(self, capture_ids: Sequence[int] | None = None) -> dict[int, tuple[bool, float]]:
        sql, params = "SELECT capture_id, flagged, score FROM capture_flags", list[int]()
        if capture_ids is not None:
            if not capture_ids:
                return {}
            sql += f" WHERE capture_id IN ({','.join('?' * len(capture_ids))})"
            params = list(capture_ids)
        return {r["capture_id"]: (bool(r["flagged"]), r["score"]) for r in
                self.conn.execute(sql, params)}

    def keyword_hits(self, capture_id: int) -> list[dict[str, Any]]:
        """The capture's keyword hits (term, category, language, source), by category
        and term."""
        row = self.conn.execute("SELECT hits FROM capture_flags WHERE capture_id = ?",
                                (capture_id,)).fetchone()
        coded = [(int(part[:-1]), _HIT_SOURCES[part[-1]]) if part[-1] in _HIT_SOURCES
                 else (int(part), "ocr")
                 for part in (row[0].split(",") if row and row[0] else [])]
        if not coded:
            return []
        terms = {r["id"]: r for r in self.conn.execute(
            "SELECT id, term, category, language FROM keyword_terms WHERE id IN "
            "(SELECT value FROM json_each(?))", (json.dumps([i for i, _ in coded]),))}
        hits = [{"capture_id": capture_id, "term": terms[i]["term"],
                 "category": terms[i]["category"], "language": terms[i]["language"],
                 "source": source} for i, source in coded if i in terms]
        return sorted(hits, key=lambda h: (h["category"], h["term"]))

    # ------------------------------------------------------------ image hashes
    def set_pdq(self, capture_id: int, pdq: str, quality: int) -> None:
        self.conn.execute(
            "INSERT INTO image_hashes (capture_id, pdq, quality) VALUES (?, ?, ?) "
            "ON CONFLICT (capture_id) DO UPDATE SET pdq = excluded.pdq, quality = excluded.quality",
            (capture_id, compact.pack_hex(pdq), quality))

    def pdq(self, capture_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            f"SELECT {_PDQ}, quality FROM image_hashes WHERE capture_id = ?",
            (capture_id,)).fetchone()
        return row

    def all_pdq(self) -> list[tuple[int, str, int]]:
        return [(r[0], r[1], r[2]) for r in
                self.conn.execute(f"SELECT capture_id, {_PDQ}, quality FROM image_hashes")]

    def captures_without_pdq(self) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM captures WHERE id NOT IN (SELECT capture_id FROM image_hashes)")]

    # -------------------------------------------------------------- full text
    def index(self, capture_id: int, ocr_text: str, notes: str, metadata: str,
              indicators: str) -> None:
        """(Re)index a capture, folded.  The index is contentless (0005): it cannot give
        the text back, snippets come from the text as read."""
        self.conn.execute("DELETE FROM search_index WHERE rowid = ?", (capture_id,))
        self.conn.execute(
            "INSERT INTO search_index (rowid, ocr_text, notes, metadata, indicators) "
            "VALUES (?, ?, ?, ?, ?)",
            (capture_id, fold(ocr_text), fold(notes), fold(metadata), fold(indicators)))

    def search(self, match: str, limit: int) -> list[tuple[int, float | None]]:
        """(capture id, rank) of the best ``limit`` matches, best first (bm25, then the
        capture id) — or, when more than :data:`ranking.CANDIDATES` (or ``limit``, when
        more) captures match, the newest ``limit`` (highest id first) with rank None:
        FTS5 walks the matches newest first and stops there, so a broad query neither
        ranks every match nor costs more at 1,000,000 captures than at 100,000.

        No ``snippet()``: the index holds folded text, so snippets are made from the text
        as read (:meth:`snippet_sources`, ``workstation.reading.searchquery``)."""
        bound = max(ranking.CANDIDATES, limit)
        with _read_snapshot(self.conn):
            newest = [r[0] for r in self.conn.execute(
                "SELECT rowid FROM search_index WHERE search_index MATCH ? "
                "ORDER BY rowid DESC LIMIT ?", (match, bound + 1))]
            if len(newest) > bound:
                return [(capture_id, None) for capture_id in newest[:limit]]
            if not newest:
                return []
            return [(r[0], r[1]) for r in self.conn.execute(
                f"SELECT rowid, {ranking.expression()} AS rank FROM search_index "
                "WHERE search_index MATCH ? ORDER BY rank, rowid LIMIT ?", (match, limit))]

    def snippet_sources(self, capture_ids: Sequence[int]
                        ) -> dict[int, tuple[list[str], list[tuple[str, str]]]]:
        """Per capture: its texts as read (current OCR text, notes, metadata) and its
        indicators (value, normalized), to make search snippets from."""
        if not capture_ids:
            return {}
        ids = json.dumps(list(capture_ids))
        out: dict[int, tuple[list[str], list[tuple[str, str]]]] = {}
        with _read_snapshot(self.conn):
            for row in self.conn.execute(
                    "SELECT c.id, coalesce((SELECT aw_inflate(text) FROM ocr_runs "
                    "WHERE capture_id = c.id ORDER BY id DESC LIMIT 1), ''), c.notes, "
                    "concat_ws(' ', c.source_url, c.platform, c.handle, c.content_id, "
                    "c.original_filename) "
                    "FROM captures c WHERE c.id IN (SELECT value FROM json_each(?))", (ids,)):
                out[row[0]] = ([row[1], row[2], row[3]], [])
            for row in self.conn.execute(
                    "SELECT capture_id, value, normalized FROM indicators "
                    "WHERE capture_id IN (SELECT value FROM json_each(?)) ORDER BY id", (ids,)):
                out[row[0]][1].append((row[1], row[2]))
        return out

    def index_incomplete(self) -> bool:
        """Whether some capture is missing from the search index (about 20 ms at
        100,000 captures): an upgrade's update of older captures was interrupted."""
        row = self.conn.execute("SELECT (SELECT count(*) FROM captures) > "
                                "(SELECT count(*) FROM search_index)").fetchone()
        return bool(row[0])

    def indexed_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT rowid FROM search_index")}
