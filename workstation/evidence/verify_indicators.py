"""``verify`` for indicators: they are derived, so they are read again from what the
audit trail vouches for (the current OCR run's text, whose hash the trail records; the
notes and metadata, replayed from it) and compared with the ``indicators`` table.  A
phone number added, altered or removed with plain SQLite is reported with its capture.

Phone numbers written without a country code depend on the ``region_hints`` setting in
effect when they were read, so each capture's indicators may match those read with any
value that setting has had (its default, or one the trail records).

OCR indicators are read again from the run's text *and its words*, as when the image
was read (the word boxes decide which numbers continue on the next line).  Rows
written before numbers were joined across lines and attributed to platforms (schema
0005) match the reading without joins and without platforms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workstation.models import Problem
from workstation.reading.service import text_indicators
from workstation.settings import SETTINGS
from workstation.storage.reading_repo import ReadingRepo, decode_words

_Key = tuple[str, str, str, str, int | None, str | None]


def hint_sets(history: Iterable[str]) -> list[tuple[str, ...]]:
    """The region hints in effect at some time: the default, then every value set."""
    values = [SETTINGS["region_hints"].default or "", *history]
    found: list[tuple[str, ...]] = []
    for value in values:
        hints = tuple(p for p in value.split(",") if p)
        if hints not in found:
            found.append(hints)
    return found


def compare_indicators(captures: Sequence[Any], repo: ReadingRepo,
                       hints: list[tuple[str, ...]]) -> list[Problem]:
    """Every capture whose stored indicators are not the ones read from its texts."""
    actual: dict[int, dict[str, set[_Key]]] = {}
    for r in repo.indicators():
        group = "OCR" if r["source"] == "ocr" else "notes and metadata"
        # (``in`` on a sqlite3.Row looks at its values, not its column names)
        platform = r["platform"] if "platform" in r.keys() else None  # noqa: SIM118
        actual.setdefault(r["capture_id"], {}).setdefault(group, set()).add(
            (r["kind"], r["value"], r["normalized"], r["source"], r["ocr_run_id"], platform))
    problems: list[Problem] = []
    for row in captures:
        cid = row["id"]
        have = actual.pop(cid, {})
        run = repo.current_run(cid)
        for group in ("OCR", "notes and metadata"):
            candidates = ((_ocr_set(run, h, legacy) if group == "OCR"
                           else _text_set(row, h, legacy))
                          for h in hints for legacy in (False, True))
            if have.get(group, set()) not in candidates:
                problems.append(Problem(
                    "record-altered", f"indicators rows of capture #{cid} ({group}) differ "
                    "from those read from its audited text (changed outside the application)",
                    capture_id=cid))
    for cid in sorted(actual):
        problems.append(Problem("record-unaudited", f"indicators rows for capture #{cid}, "
                                "which does not exist"))
    return problems


def _ocr_set(run: Any, hints: tuple[str, ...], legacy: bool) -> set[_Key]:
    from workstation.reading.indicators.extract import extract_indicators
    from workstation.reading.indicators.model import word_boxes

    if run is None or not run["text"]:
        return set()
    words = word_boxes(decode_words(run["words"], run["text"]))
    return {(i.kind, i.value, i.normalized, "ocr", run["id"], None if legacy else i.platform)
            for i in extract_indicators(run["text"], hints, words=words, source="ocr",
                                        join_lines=not legacy)}


def _text_set(row: Any, hints: tuple[str, ...], legacy: bool) -> set[_Key]:
    return {(i["kind"], i["value"], i["normalized"], i["source"], None,
             None if legacy else i.get("platform"))
            for i in text_indicators(row["notes"], row["source_url"], row["handle"], hints,
                                     join_lines=not legacy)}
