"""SQLCipher's cost on the workspace's database: the same writes and searches on a plain
and on an encrypted database, in the same process and run (issue 16: import, OCR and
search on an encrypted workspace at most 15 % slower).

    .venv/bin/python bench/cipher_bench.py [--rows 20000] [--queries 30] [--repeats 5]

Both databases get the workspace's real schema (every migration) and the same rows:
``--rows`` search-index rows of generated advert text (``bench/search_bench.py``'s
corpus), written in transactions of 50 like an import batch; then each query of the
corpus is run ``--repeats`` times with the ranker the app uses (the compiled
``aw_bm25`` when it is built, else SQLite's ``bm25``), and also with SQLite's own
``bm25``.  The encrypted database is keyed with a raw 256-bit key (``PRAGMA key =
"x'…'"``: no passphrase derivation per open), as an encrypted workspace will be.
Figures are medians and 95th percentiles; ratios are encrypted / plain.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search_bench import Corpus
from workstation.storage import compact, ranking
from workstation.storage.db import connect, migrate
from workstation.storage.sqlitelib import sqlite3


def open_db(path: Path, key: bytes | None) -> sqlite3.Connection:
    if key is None:
        conn = connect(path)
    else:  # the key must be the first statement on the connection
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        ranking.install(conn)
        compact.install(conn)  # 0011 compresses with aw_deflate
    migrate(conn, path)
    return conn


def fill(conn: sqlite3.Connection, corpus: Corpus, rows: int) -> float:
    """Seconds to write ``rows`` index rows, 50 per transaction."""
    start = time.perf_counter()
    for first in range(0, rows, 50):
        conn.execute("BEGIN IMMEDIATE")
        for i in range(first, min(rows, first + 50)):
            lines, _langs = corpus.advert(i)
            text = "\n".join(lines)
            conn.execute("INSERT INTO search_index (rowid, ocr_text, notes, metadata, "
                         "indicators) VALUES (?, ?, '', '', '')", (i + 1, text))
        conn.execute("COMMIT")
    return time.perf_counter() - start


def search(conn: sqlite3.Connection, query: str, rank: str) -> float:
    start = time.perf_counter()
    conn.execute(f"SELECT rowid, {rank} AS r FROM search_index WHERE search_index MATCH ? "
                 "ORDER BY r LIMIT 50", (query,)).fetchall()
    return time.perf_counter() - start


def measure(conn: sqlite3.Connection, queries: list[str], rank: str,
            repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        for query in queries:
            times.append(search(conn, query, rank))
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    corpus = Corpus()
    queries = [f'"{text}"' if " " in text else text
               for _kind, text in corpus.queries()[: args.queries]]
    print(f"SQLite {sqlite3.sqlite_version}; ranker: {ranking.describe()}")
    with tempfile.TemporaryDirectory(prefix="aw-cipher-") as tmp:
        plain = open_db(Path(tmp) / "plain.db", None)
        secret = open_db(Path(tmp) / "secret.db", os.urandom(32))
        print(f"cipher: {secret.execute('PRAGMA cipher_version').fetchone()[0]}")
        writes = {"plain": fill(plain, corpus, args.rows),
                  "encrypted": fill(secret, corpus, args.rows)}
        for name, seconds in writes.items():
            print(f"write {args.rows} rows ({name}): {seconds:.2f} s")
        print(f"ratio write encrypted/plain: {writes['encrypted'] / writes['plain']:.2f}")
        head = (Path(tmp) / "secret.db").read_bytes()[:16]
        print(f"encrypted file starts {head!r} (a plain one starts b'SQLite format 3')")
        for label, rank in (("app ranker", ranking.expression()),
                            ("SQLite bm25", ranking.BUILTIN)):
            results = {}
            for name, conn in (("plain", plain), ("encrypted", secret)):
                measure(conn, queries, rank, 1)  # warm the cache
                results[name] = measure(conn, queries, rank, args.repeats)
            for name, times in results.items():
                print(f"search, {label}, {name}: p50 {statistics.median(times) * 1e3:.2f} ms, "
                      f"p95 {p95(times) * 1e3:.2f} ms")
            ratio = statistics.median(results["encrypted"]) / statistics.median(results["plain"])
            print(f"ratio search ({label}) encrypted/plain, p50: {ratio:.2f}")
        plain.close()
        secret.close()


if __name__ == "__main__":
    main()
