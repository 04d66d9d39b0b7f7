"""``verify`` for indicators: they are derived, so they are read again from what the
audit trail vouches for (the current OCR run's text, whose hash the trail records; the
notes and metadata, replayed from it) and compared with the ``indicators`` table.  A
phone number added, altered or removed with plain SQLite is reported with its capture.

Phone numbers written without a country code depend on the ``region_hints`` setting in
effect when they were read, so each capture's indicators may match those read with any
value that setting has had (its default, or one the trail records).

OCR indicators are read again from the run's text *and its words*, as when the image
was read (the word boxes decide which numbers continue on the next line), with the
platform, confidence and attention each row carries (attention compares the reading
with the capture's earlier runs, whose texts the trail also vouches for).  Only runs
made before numbers were joined across lines and attributed to platforms (schema 0005:
their ``ocr.run`` entry records no ``coverage``) may also match the reading without
joins, platforms, confidences or attention, as such rows were stored then; an upgrade
reads them again (``ReadingService.backfill_derived``).  Notes and metadata are read
again at every upgrade, so they must match the current reading."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import Any

from workstation.models import Problem
from workstation.reading.stored import ocr_indicators, text_indicators
from workstation.settings import SETTINGS
from workstation.storage.reading_repo import ReadingRepo

_Key = tuple[str, str, str, str, int | None, str | None, float | None, str | None]


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
                       hints: list[tuple[str, ...]], joined_runs: Container[int]
                       ) -> list[Problem]:
    """Every capture whose stored indicators are not the ones read from its texts.

    ``joined_runs``: the OCR runs made since 0005 (their audit entry says so), whose
    indicators must be the current reading; others may also be the legacy one."""
    actual: dict[int, dict[str, set[_Key]]] = {}
    for r in repo.indicators():
        group = "OCR" if r["source"] == "ocr" else "notes and metadata"
        actual.setdefault(r["capture_id"], {}).setdefault(group, set()).add(
            (r["kind"], r["value"], r["normalized"], r["source"], r["ocr_run_id"],
             r["platform"], r["confidence"], r["attention"]))
    problems: list[Problem] = []
    for row in captures:
        cid = row["id"]
        have = actual.pop(cid, {})
        run = repo.current_run(cid)
        others = repo.earlier_run_texts(cid, run["id"]) if run is not None else []
        for group in ("OCR", "notes and metadata"):
            if group == "OCR":
                legacy = (False,) if run is None or run["id"] in joined_runs else (False, True)
                candidates = (_ocr_set(run, h, others, old) for h in hints for old in legacy)
            else:
                candidates = (_text_set(row, h) for h in hints)
            if have.get(group, set()) not in candidates:
                problems.append(Problem(
                    "record-altered", f"indicators rows of capture #{cid} ({group}) differ "
                    "from those read from its audited text (changed outside the application)",
                    capture_id=cid))
    for cid in sorted(actual):
        problems.append(Problem("record-unaudited", f"indicators rows for capture #{cid}, "
                                "which does not exist"))
    return problems


def _ocr_set(run: Any, hints: tuple[str, ...], others: list[str], legacy: bool) -> set[_Key]:
    if run is None:
        return set()
    if legacy:  # as stored before 0005: no joins, platforms, confidences or attention
        return {(i["kind"], i["value"], i["normalized"], "ocr", run["id"], None, None, None)
                for i in ocr_indicators(run, hints, (), join_lines=False)}
    return {(i["kind"], i["value"], i["normalized"], "ocr", run["id"], i["platform"],
             i["confidence"], i["attention"]) for i in ocr_indicators(run, hints, others)}


def _text_set(row: Any, hints: tuple[str, ...]) -> set[_Key]:
    return {(i["kind"], i["value"], i["normalized"], i["source"], None, i.get("platform"),
             i.get("confidence"), i.get("attention"))
            for i in text_indicators(row["notes"], row["source_url"], row["handle"], hints)}
