"""Helpers shared by the command-line modules: argument types, tables, JSON, progress bar,
and :func:`shown`, the one way a path or a name reaches the terminal."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TextIO

from workstation.platforms import PLATFORMS
from workstation.storage.db import translate
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import parse_iso

#: Exit codes: success, failure or problems found, usage error, interrupted (what
#: finished before Ctrl-C is kept).
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

log = logging.getLogger("workstation.cli")

#: The largest id SQLite stores (a signed 64-bit integer).
MAX_ID = (1 << 63) - 1

# Characters that could rewrite what a terminal shows: C0/C1 controls and DEL (escape
# sequences, carriage returns, new lines), the bidirectional controls (a name shown
# backwards), line/paragraph separators, and lone surrogates (bytes of a file name that
# are not UTF-8, which a terminal cannot print).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``text`` (a path, a file name, a message quoting one) safe to print on one line:
    control, bidirectional-override and undecodable characters are written as escapes
    (``\\x1b``, ``\\u202e``), so a file name can neither forge an output line nor hide
    its real name.  Every CLI line that prints a path or a name goes through here."""
    return _UNSAFE.sub(_escape, str(text))


class Parser(argparse.ArgumentParser):
    """argparse's parser whose error line escapes what was typed (:func:`shown`), so an
    argument cannot forge an output line.  Sub-commands' parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        super().error(shown(message))


def error_line(exc: BaseException | str) -> int:
    """Print one line, ``workstation: error: ...``, and log it; return exit status 1."""
    log.warning("error shown: %s", exc)
    print(f"workstation: error: {shown(exc)}", file=sys.stderr)
    return 1


def failure(exc: Exception) -> int:
    """One line for what escaped a command without being a ``WorkstationError``: a damaged
    database or a full disk in the core's words (``translate``), an OS error as it is,
    else (a bug) its type and message, the traceback in the log."""
    if isinstance(exc, UnicodeDecodeError) and _raised_in_storage(exc):
        exc = sqlite3.DatabaseError(f"unreadable text, {exc.reason}")  # garbled by damage
        exc.sqlite_errorcode = 11  # SQLITE_CORRUPT
    known = translate(exc)
    if known is not None:
        return error_line(known)
    log.exception("error shown")
    if isinstance(exc, OSError):
        return error_line(exc)
    return error_line(f"unexpected {type(exc).__name__}: {exc} (details in the log)")


def _raised_in_storage(exc: BaseException) -> bool:
    """Whether ``exc`` came out of a database call (its innermost frame is in storage/)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and "storage" in Path(tb.tb_frame.f_code.co_filename).parts


def print_json(value: Any, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(value, ensure_ascii=False, indent=None) + "\n")


def table(rows: list[list[str]], headers: list[str]) -> str:
    rows = [[shown(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)


def record_id(text: str, what: str = "an id", example: str = "3") -> int:
    """An id as typed (``12`` or ``#12``): ASCII digits, at most SQLite's largest integer."""
    value = text.strip().lstrip("#")
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > MAX_ID:
        raise argparse.ArgumentTypeError(
            f"{shown(repr(text))} is not {what} (a number such as {example})")
    return int(value)


def capture_id(text: str) -> int:
    return record_id(text, "a capture id", "12")


def bounded_int(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argument type: a whole number from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        value = text.strip()
        digits = value[1:] if value[:1] in "+-" else value
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 \
                or not minimum <= int(value) <= maximum:
            raise argparse.ArgumentTypeError(
                f"{shown(repr(text))} is not a number from {minimum} to {maximum}")
        return int(value)

    parse.__name__ = "number"
    return parse


def iso_time(text: str) -> str:
    """An argument type: a time as ISO 8601 (no zone: UTC), normalized."""
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(shown(str(exc))) from None


def platform_arg(text: str) -> str:
    name = text.strip().lower()
    name = "x" if name == "twitter" else name
    if name not in PLATFORMS:
        raise argparse.ArgumentTypeError(
            f"unknown platform {shown(repr(text))}; choose one of {', '.join(PLATFORMS)}"
        )
    return name


class UsageError(Exception):
    """Bad arguments that argparse could not detect by itself (exit 2)."""


class ProgressBar:
    """A tqdm progress bar (with ETA) on stderr when it is a terminal; nothing when piped.

    ``progress`` is the core's progress callback; ``emit`` prints a result line
    without breaking the bar.
    """

    def __init__(self, desc: str, unit: str = "file", enabled: bool = True) -> None:
        self._bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def progress(self, p: Any) -> None:
        if self._bar is not None:
            self._bar.total = p.total
            self._bar.n = p.done
            self._bar.refresh()

    def emit(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
