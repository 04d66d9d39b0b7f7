"""Search ranking: the compiled ``aw_bm25`` when it is built, SQLite's ``bm25`` otherwise.

Both give the same scores (``aw_bm25`` is FTS5's bm25 formula with row lengths
read from an in-memory copy instead of one nested query per matching row; see
``workstation/storage/native/awrank.c``); the compiled one is 3-4x faster when many
rows are ranked.  A search ranks :data:`CANDIDATES` matches at most (more, and the
newest are listed first, unranked).  It is built by ``pip install`` when a C compiler
and ``sqlite3ext.h`` are present and loaded into every connection
:func:`workstation.storage.db.connect` opens.  ``WORKSTATION_NATIVE_RANKER=0`` turns it
off (to compare, or to rule it out).
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from workstation.errors import WorkstationError
from workstation.storage.sqlitelib import sqlite3

ENV = "WORKSTATION_NATIVE_RANKER"
#: Column weights: OCR text, notes, metadata, indicators.
WEIGHTS = "4.0, 2.0, 1.0, 3.0"
BUILTIN = f"bm25(search_index, {WEIGHTS})"
NATIVE = f"aw_bm25(search_index, 'search_index', {WEIGHTS})"
#: The most matches a search ranks.  A query matching more captures than this lists
#: the newest matching captures first (highest capture id: the latest imported), with no
#: rank; one matching this many or fewer is ranked by bm25 (best first), as always.
#: Why: a broad query (``boat`` is in 88 % of the bench's adverts) would otherwise rank
#: every match to show fifty (20-30 ms at 100,000 captures, 100-300 ms at 1,000,000:
#: ``bench/search_bench.py``), and when its words are that common bm25 tells the
#: matches apart by little more than their length (a word in half the captures or more
#: gets the IDF floor), while the newest first is an order an analyst can read and use.
CANDIDATES = 1000


@cache
def extension_path() -> str | None:
    """The built extension's file, or None (not built, disabled, or no extension loading)."""
    if os.environ.get(ENV, "1").strip() == "0":
        return None
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        return None
    try:
        module = importlib.import_module("workstation.storage._awrank")
    except ImportError:
        return None
    return getattr(module, "__file__", None)


def describe() -> str:
    """One line for benchmarks and diagnostics."""
    if extension_path():
        return f"compiled aw_bm25 (SQLite {sqlite3.sqlite_version})"
    return f"SQLite's bm25 (SQLite {sqlite3.sqlite_version}; compiled ranker not available)"


def expression() -> str:
    """The rank expression for connections opened by :func:`workstation.storage.db.connect`."""
    return NATIVE if extension_path() else BUILTIN


def install(conn: sqlite3.Connection) -> None:
    """Load the compiled ranker into ``conn`` if there is one."""
    path = extension_path()
    if path is None:
        return
    try:
        conn.enable_load_extension(True)
        try:
            conn.load_extension(path)
        finally:
            conn.enable_load_extension(False)
    except sqlite3.Error as exc:
        raise WorkstationError(
            f"Cannot load the search ranker {path}: {exc}. Reinstall, or set {ENV}=0 "
            "to search with SQLite's own ranking.") from None
