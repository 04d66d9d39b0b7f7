"""The compiled search ranker (aw_bm25) gives exactly SQLite's bm25, before and after writes."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.imagegen import make_image
from workstation.models import CaptureMeta
from workstation.storage import ranking
from workstation.storage.db import connect
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

WORDS = {lang: text.split() for lang, text in {
    "en": "boat crossing uk england tonight lorry price guaranteed whatsapp call safe trip "
          "family passports documents captain engine channel calais dunkirk",
    "fr": "bateau passage angleterre nuit prix personne camion garantie traversée manche",
    "ar": "قارب بريطانيا رحلة آمنة السعر للشخص واتساب شاحنة مهرب لندن نجاة",
    "fa": "قایق انگلیس کامیون قیمت نفر جلیقه نجات تلگرام کانال",
}.items()}
QUERIES = ['"boat"', '"bo"*', '"قارب"', '"boat" "uk"', '"whatsapp" OR "واتساب"', '"nuit"',
           '"c"*', '"447700900123"', '"passports" "calais"', '"zodiac"', '"ca"* "uk"']


def _text(rng: random.Random) -> tuple[str, str, str, str]:
    lang = rng.choice(sorted(WORDS))
    words = WORDS[lang]
    ocr = " ".join(rng.choice(words) for _ in range(rng.randint(3, 60)))
    if rng.random() < 0.02:  # a rare word: a query for it ranks few rows
        ocr += " zodiac"
    notes = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
    metadata = f"{rng.choice(['facebook', 'tiktok', 'instagram', 'x'])} @acc{rng.randint(1, 50)}"
    indicators = rng.choice(["+447700900123", "+33612345678", "", "boat"])
    return ocr, notes, metadata, indicators


def _ranked(conn: sqlite3.Connection, expression: str, match: str) -> list[tuple[int, float]]:
    return [(r[0], r[1]) for r in conn.execute(
        f"SELECT rowid, {expression} AS r FROM search_index WHERE search_index MATCH ? "
        "ORDER BY r, rowid", (match,))]


def _same(conn: sqlite3.Connection, match: str) -> int:
    """aw_bm25 and bm25 rank the matches alike, with the same scores (to the last bit or
    two: the compiled code may round differently); the number of matches."""
    builtin = _ranked(conn, ranking.BUILTIN, match)
    native = _ranked(conn, ranking.NATIVE, match)
    assert [i for i, _ in native] == [i for i, _ in builtin], match
    for (_, a), (_, b) in zip(native, builtin, strict=True):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), match
    return len(builtin)


def _assert_same(conn: sqlite3.Connection) -> int:
    """aw_bm25 and bm25 agree on every query; the number of rows compared."""
    return sum(_same(conn, match) for match in QUERIES)


@pytest.fixture
def native() -> None:
    if ranking.extension_path() is None:
        if os.environ.get(ranking.ENV, "1").strip() == "0":
            pytest.skip(f"{ranking.ENV}=0")
        pytest.fail("The compiled ranker workstation.storage._awrank is not built: run "
                    "./scripts/bootstrap "
                    "(it needs a C compiler and sqlite3ext.h: apt-get install gcc libsqlite3-dev)")


def test_native_rank_equals_bm25_before_and_after_writes(native: None, tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    rng = random.Random(11)
    repo = ReadingRepo(ws.conn)
    for rowid in range(1, 601):
        repo.index(rowid, *_text(rng))
    conn = ws._conn
    assert _assert_same(conn) > 1000

    # Another connection writes: rows deleted, re-indexed with other lengths (the row
    # count stays the same), and added.  The first connection must notice.
    other = connect(ws.root / "workspace.db")
    other_repo = ReadingRepo(other)
    for rowid in range(1, 40):
        other_repo.index(rowid, *_text(rng))
    _assert_same(conn)
    other.execute("DELETE FROM search_index WHERE rowid BETWEEN 100 AND 160")
    for rowid in range(601, 700):
        other_repo.index(rowid, *_text(rng))
    _assert_same(conn)
    # One row made much longer, nothing else: same row count, a different length.
    rows = conn.execute("SELECT count(*) FROM search_index").fetchone()[0]
    before = dict(_ranked(conn, ranking.NATIVE, '"boat"')).get(5)
    other_repo.index(5, "zodiac " + "boat " * 400, "", "", "")
    assert conn.execute("SELECT count(*) FROM search_index").fetchone()[0] == rows
    # A narrow query first: it leaves the stale lengths alone and must not use them.
    assert 0 < _same(conn, '"zodiac"') * 8 < rows
    _same(conn, '"boat"')  # a broad one reloads them
    assert dict(_ranked(conn, ranking.NATIVE, '"boat"'))[5] != before
    _same(conn, '"zodiac"')
    other.close()

    # Inside a write transaction that is rolled back, on this connection.
    matching = _ranked(conn, ranking.BUILTIN, '"boat"')[-1][0]  # a row "boat" ranks
    conn.execute("BEGIN IMMEDIATE")
    repo.index(matching, "boat " * 300, "", "", "")
    _same(conn, '"boat"')
    conn.execute("ROLLBACK")
    _same(conn, '"boat"')

    # This connection writes (data_version does not change for its own writes).
    before = dict(_ranked(conn, ranking.NATIVE, '"boat"')).get(6)
    repo.index(6, "boat uk boat uk", "", "", "")
    assert dict(_ranked(conn, ranking.NATIVE, '"boat"'))[6] != before
    _assert_same(conn)
    ws.close()


def test_native_rank_with_sparse_rowids(native: None, tmp_path: Path) -> None:
    """Lengths are looked up by rowid in a table when the rowids are dense (captures 1, 2,
    3 ...); rowids spread far apart are looked up by binary search: the same ranks."""
    conn = connect(tmp_path / "sparse.db")
    conn.execute("CREATE VIRTUAL TABLE search_index USING fts5 (ocr_text, notes, metadata, "
                 "indicators)")
    rng = random.Random(7)
    for rowid in [*range(1, 150), *(10**9 + 7 * k for k in range(150)), 2**62]:
        conn.execute("INSERT INTO search_index (rowid, ocr_text, notes, metadata, indicators) "
                     "VALUES (?, ?, ?, ?, ?)", (rowid, *_text(rng)))
    assert _assert_same(conn) > 100
    conn.close()


def test_native_rank_without_docsize_table(native: None, tmp_path: Path) -> None:
    """A table made with columnsize=0 has no lengths to copy: xColumnSize is used."""
    conn = connect(tmp_path / "plain.db")
    conn.execute("CREATE VIRTUAL TABLE search_index USING fts5 (ocr_text, notes, metadata, "
                 "indicators, columnsize=0)")
    rng = random.Random(5)
    for rowid in range(1, 200):
        conn.execute("INSERT INTO search_index (rowid, ocr_text, notes, metadata, indicators) "
                     "VALUES (?, ?, ?, ?, ?)", (rowid, *_text(rng)))
    assert _assert_same(conn) > 100
    conn.close()


def test_native_rank_needs_the_table_name(native: None, tmp_path: Path) -> None:
    conn = connect(tmp_path / "plain.db")
    conn.execute("CREATE VIRTUAL TABLE search_index USING fts5 (a)")
    conn.execute("INSERT INTO search_index (a) VALUES ('boat')")
    with pytest.raises(sqlite3.OperationalError, match="table's name"):
        conn.execute("SELECT aw_bm25(search_index) FROM search_index WHERE search_index "
                     "MATCH 'boat'").fetchall()
    conn.close()


def test_search_results_are_the_same_with_and_without_the_compiled_ranker(
        native: None, tmp_path: Path) -> None:
    """The CLI's search --json, ranks and snippets included, does not depend on the ranker."""
    path = tmp_path / "ws"
    ws = Workspace.open(path)
    rng = random.Random(3)
    for seed in range(40):
        ocr, notes, _, _ = _text(rng)
        ws.intake.import_bytes(make_image(seed=seed), CaptureMeta(notes=f"{ocr} {notes}"),
                        method="paste")
    ws.close()
    for query in ("boat", "bo*", "قارب", "boat uk", "nuit OR نجات"):
        fast = run_cli("search", query, "--json", workspace=path, check=True)
        slow = run_cli("search", query, "--json", workspace=path, check=True,
                       env={ranking.ENV: "0"})
        fast_hits, slow_hits = json.loads(fast.stdout), json.loads(slow.stdout)
        assert fast_hits, query
        for hit in (*fast_hits, *slow_hits):
            hit["rank"] = pytest.approx(hit["rank"], rel=1e-12)
        assert fast_hits == slow_hits, query
