"""Compressed columns: ``audit_log.details`` and ``ocr_runs.text`` (0011), and
``ocr_runs.params`` (0012).

Why: at 100,000 captures these columns were a third of the database (the JSON of each
import's record and OCR run in the audit trail, an OCR run's parameters and the text
as read), and they compress well (``bench/search_bench.py`` prints the sizes).

The stored value is either the text itself (rows written before, and any text that
compression would not make shorter) or a BLOB: one version byte, then a zlib stream of
the UTF-8 text.  Version 1 is plain zlib; versions 2 and 3 start the stream from a
preset dictionary (0012): a few hundred bytes of JSON or words compress poorly on their
own, because zlib has nothing yet to refer back to.  The dictionaries are files in
``workstation/resources/compression`` (``scripts/make-compression-dictionaries`` shows
what they hold) and are frozen: each is pinned by its SHA-256 here, and zlib checks the
dictionary's checksum again when inflating, so a value is never read with the wrong
one.  :func:`deflate` keeps whichever form is shortest.

:func:`inflate` gives the text back exactly; SQL reads it through the ``aw_inflate``
function that :func:`install` adds to every connection
:func:`workstation.storage.db.connect` opens (the ``audit_log`` view and the OCR run
queries use it), so what is hashed, verified, exported and shown is the text as it was
written.  A BLOB that cannot be inflated (changed behind the application's back) reads
as :data:`DAMAGED`, which no hash or JSON parser accepts: ``verify`` reports the entry
or run as altered instead of failing.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from workstation.errors import WorkstationError
from workstation.resources import resources_dir
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import format_utc

#: Plain zlib (0011).
VERSION = 1
#: zlib from the application's JSON (audit details, OCR parameters).
VERSION_JSON = 2
#: zlib from the lexicon's words (the text as read).
VERSION_WORDS = 3
#: The preset dictionary of each version that has one: its file and SHA-256.
DICTIONARIES = {
    VERSION_JSON: ("json-2.txt",
                   "af427af04bdcde7daa02ef0bae0b11bae6f04284825303ce10fd2a7ed91594ea"),
    VERSION_WORDS: ("text-3.txt",
                    "8dc8f77dee052afad1770aae37ef07be8769d6e4d56bc3d946b10f650e6313af"),
}
#: What an undecodable stored value reads as: never valid JSON, never a hashed text.
DAMAGED = "\ufffd[damaged compressed value]"
#: The longest text inflated (an OCR run's text or an entry's details is a few KB):
#: a crafted value cannot make a read expand into gigabytes.
MAX_TEXT = 16 * 1024 * 1024
#: Shorter texts are stored as they are: zlib's header and checksum outweigh the gain.
_MIN_LENGTH = 48


#: What SQLite can hold in a column.
Stored = str | bytes | int | float | None


@cache
def dictionary(version: int) -> bytes:
    """The preset dictionary of ``version``, checked against its pinned SHA-256."""
    name, digest = DICTIONARIES[version]
    path = resources_dir() / "compression" / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkstationError(f"The compression dictionary {path} cannot be read "
                               f"({exc.strerror or exc}): reinstall Analyst Workstation.") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise WorkstationError(f"The compression dictionary {path} has been changed: "
                               "reinstall Analyst Workstation.")
    return data


@cache
def _primed(version: int) -> tuple[Any, Any]:
    """A compressor and a decompressor that have read ``version``'s dictionary, to copy
    (reading a dictionary costs more than compressing a few hundred bytes)."""
    zdict = dictionary(version)
    return (zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, zdict),
            zlib.decompressobj(zdict=zdict))


def _compress(raw: bytes, version: int) -> bytes:
    if version == VERSION:
        return zlib.compress(raw, 9)
    packer = _primed(version)[0].copy()
    return packer.compress(raw) + packer.flush()


def deflate(text: Stored) -> Stored:
    """The stored form of ``text``: compressed when that makes it shorter, with whichever
    dictionary does best.  Anything but text (NULL, a number, a BLOB found in a column
    changed behind the application's back) is stored as it is, for ``verify`` to report."""
    if not isinstance(text, str) or len(text) < _MIN_LENGTH:
        return text
    raw = text.encode("utf-8")
    best: Stored = text
    size = len(raw)
    for version in (VERSION_JSON, VERSION_WORDS, VERSION):
        packed = bytes([version]) + _compress(raw, version)
        if len(packed) < size:
            best, size = packed, len(packed)
    return best


def inflate(stored: str | bytes | None) -> str | None:
    """The text of a stored value (the text itself, or :data:`DAMAGED`)."""
    if stored is None or isinstance(stored, str):
        return stored
    if not isinstance(stored, bytes | bytearray | memoryview):
        return str(stored)
    data = bytes(stored)
    if not data or (data[0] != VERSION and data[0] not in DICTIONARIES):
        return DAMAGED
    try:
        unpack = (zlib.decompressobj() if data[0] == VERSION
                  else _primed(data[0])[1].copy())
        raw = unpack.decompress(data[1:], MAX_TEXT)
        # Bytes after the stream, a cut stream or a "text" beyond any real one: changed.
        if not unpack.eof or unpack.unused_data or unpack.unconsumed_tail:
            return DAMAGED
        return raw.decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return DAMAGED


def install(conn: sqlite3.Connection) -> None:
    """Add ``aw_deflate``, ``aw_inflate`` and ``aw_pack_time`` to ``conn``
    (deterministic: usable in views and indexes)."""
    for version in DICTIONARIES:  # a missing or changed file: one clear error at open
        dictionary(version)
    conn.create_function("aw_deflate", 1, deflate, deterministic=True)
    conn.create_function("aw_inflate", 1, inflate, deterministic=True)
    conn.create_function("aw_pack_time", 1, pack_time, deterministic=True)


def pack_hex(value: str) -> str | bytes:
    """A hash stored as its bytes (0012: 32 bytes instead of 64 hex digits), when it is
    lowercase hex that reads back exactly; anything else is stored as it is."""
    try:
        packed = bytes.fromhex(value)
    except (TypeError, ValueError):
        return value
    return packed if packed.hex() == value else value


def hex_sql(column: str) -> str:
    """SQL giving back, as text, a hash column that :func:`pack_hex` wrote."""
    return f"CASE WHEN typeof({column}) = 'blob' THEN lower(hex({column})) ELSE {column} END"


#: The one form :mod:`workstation.timeutil` writes times in.
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Times packed (0012): 2001-09-09 to 2099 are 13 digits of milliseconds, a form no
#: written time has; SQLite's strftime gives each back exactly (tested over the range).
_PACKED_TIMES = (10**12, 4102444800000)


def pack_time(text: Stored) -> Stored:
    """A time as stored in ``audit_entries.at`` and ``ocr_runs.created_at`` (0012): its
    milliseconds since 1970 as 13 digits (11 bytes less) when it reads back exactly.
    A text of 13 digits that is not a packed time (written behind the application's
    back) is stored as the BLOB of its bytes, so it is never read as one; anything else
    as it is."""
    if isinstance(text, str) and len(text) == 13 and text.isascii() and text.isdigit():
        return text.encode("ascii")
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        return text
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        return text
    ms = (moment - _EPOCH) // timedelta(milliseconds=1)
    if not _PACKED_TIMES[0] <= ms < _PACKED_TIMES[1] \
            or format_utc(_EPOCH + timedelta(milliseconds=ms)) != text:
        return text
    return str(ms)


def time_sql(column: str) -> str:
    """SQL giving back a time column that :func:`pack_time` wrote, as written (the same
    expression as the ``audit_log`` view's, 0012)."""
    digits = f"length({column}) = 13 AND CAST({column} AS TEXT) NOT GLOB '*[^0-9]*'"
    return (f"CASE WHEN typeof({column}) = 'text' AND {digits} "
            f"THEN strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch') "
            f"WHEN typeof({column}) = 'blob' AND {digits} THEN CAST({column} AS TEXT) "
            f"ELSE {column} END")
