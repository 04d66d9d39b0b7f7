"""Helpers shared by the command-line modules: argument types, tables, JSON, progress bar."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from workstation.platforms import PLATFORMS


def print_json(value: Any, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(value, ensure_ascii=False, indent=None) + "\n")


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)


def capture_id(text: str) -> int:
    value = text.lstrip("#")
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a capture id (a number such as 12)")
    return int(value)


def platform_arg(text: str) -> str:
    name = text.strip().lower()
    name = "x" if name == "twitter" else name
    if name not in PLATFORMS:
        raise argparse.ArgumentTypeError(
            f"unknown platform {text!r}; choose one of {', '.join(PLATFORMS)}"
        )
    return name


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
