"""Compressed text columns (0011): ``audit_log.details`` and ``ocr_runs.text``.

Why: at 100,000 captures these two columns were a third of the database (the JSON of
each import's record and OCR run in the audit trail, and the text as read), and both
compress to about 60 % with zlib (``bench/search_bench.py`` prints the sizes).

The stored value is either the text itself (rows written before 0011, and any text
that zlib would not make shorter) or a BLOB: one version byte (1), then zlib of the
UTF-8 text.  :func:`inflate` gives the text back exactly; SQL reads it through the
``aw_inflate`` function that :func:`install` adds to every connection
:func:`workstation.storage.db.connect` opens (the ``audit_log`` view and the OCR
run queries use it), so what is hashed, verified, exported and shown is the text as
it was written.  A BLOB that cannot be inflated (changed behind the application's
back) reads as :data:`DAMAGED`, which no hash or JSON parser accepts: ``verify``
reports the entry or run as altered instead of failing.
"""

from __future__ import annotations

import zlib

from workstation.storage.sqlitelib import sqlite3

VERSION = 1
#: What an undecodable stored value reads as: never valid JSON, never a hashed text.
DAMAGED = "\ufffd[damaged compressed value]"
#: The longest text inflated (an OCR run's text or an entry's details is a few KB):
#: a crafted value cannot make a read expand into gigabytes.
MAX_TEXT = 16 * 1024 * 1024
#: Shorter texts are stored as they are: zlib's header and checksum outweigh the gain.
_MIN_LENGTH = 48


#: What SQLite can hold in a column.
Stored = str | bytes | int | float | None


def deflate(text: Stored) -> Stored:
    """The stored form of ``text``: compressed when that makes it shorter.  Anything but
    text (NULL, a number, a BLOB found in a column changed behind the application's back)
    is stored as it is, for ``verify`` to report."""
    if not isinstance(text, str) or len(text) < _MIN_LENGTH:
        return text
    raw = text.encode("utf-8")
    packed = bytes([VERSION]) + zlib.compress(raw, 9)
    return packed if len(packed) < len(raw) else text


def inflate(stored: str | bytes | None) -> str | None:
    """The text of a stored value (the text itself, or :data:`DAMAGED`)."""
    if stored is None or isinstance(stored, str):
        return stored
    if not isinstance(stored, bytes | bytearray | memoryview):
        return str(stored)
    data = bytes(stored)
    if not data or data[0] != VERSION:
        return DAMAGED
    try:
        unpack = zlib.decompressobj()
        raw = unpack.decompress(data[1:], MAX_TEXT)
        # Bytes after the stream, a cut stream or a "text" beyond any real one: changed.
        if not unpack.eof or unpack.unused_data or unpack.unconsumed_tail:
            return DAMAGED
        return raw.decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return DAMAGED


def install(conn: sqlite3.Connection) -> None:
    """Add ``aw_deflate`` and ``aw_inflate`` to ``conn`` (deterministic: usable in views
    and indexes)."""
    conn.create_function("aw_deflate", 1, deflate, deterministic=True)
    conn.create_function("aw_inflate", 1, inflate, deterministic=True)
