"""The indicators of a capture's stored texts: its notes and metadata, and an OCR run
read again from its stored text and words.  Storing, the upgrade of older captures
(``ReadingService.backfill_derived``) and ``verify`` all read them through here, so
they find the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workstation.storage.reading_repo import decode_words
from workstation.storage.sqlitelib import sqlite3


def text_indicators(notes: str | None, source_url: str | None, handle: str | None,
                    hints: Sequence[str], *, join_lines: bool = True) -> list[dict[str, Any]]:
    """The indicators of a capture's notes and metadata (``verify`` recomputes them;
    ``join_lines=False`` as they were read before numbers were joined across lines)."""
    from workstation.reading.indicators.extract import extract_indicators

    found: list[dict[str, Any]] = []
    if notes:
        found += [i.to_dict() for i in extract_indicators(notes, hints, source="notes",
                                                          join_lines=join_lines)]
    if source_url:
        found += [i.to_dict() for i in extract_indicators(source_url, hints, source="metadata",
                                                          join_lines=join_lines)]
    if handle:
        found.append({"kind": "handle", "value": handle,
                      "normalized": handle.lstrip("@").lower(), "source": "metadata",
                      "box": None, "platform": None, "confidence": None, "attention": None})
    return dedupe(found)


def ocr_indicators(run: sqlite3.Row, hints: Sequence[str], others: Sequence[str], *,
                   join_lines: bool = True) -> list[dict[str, Any]]:
    """The indicators of a stored OCR run, read again from its text and words as when
    the image was read (``others``: the texts of the capture's earlier runs, which
    decide ``attention``); the upgrade and ``verify`` both read them so."""
    from workstation.reading.indicators.extract import extract_indicators
    from workstation.reading.indicators.model import word_boxes

    if not run["text"]:
        return []
    words = word_boxes(decode_words(run["words"], run["text"]))
    return dedupe([i.to_dict() for i in extract_indicators(
        run["text"], hints, words=words, source="ocr", other_readings=others,
        join_lines=join_lines)])


def dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One of each (kind, normalised value, source, box), the first."""
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for item in items:
        key = (item["kind"], item["normalized"], item["source"], str(item.get("box")))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
