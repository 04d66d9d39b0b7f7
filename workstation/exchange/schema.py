"""The shape of ``case.json`` (docs/case-exchange.md), checked before anything is merged:
a bundle is signed by a colleague, but what it says is still input -- a value of the
wrong type is refused with one sentence naming it, never a traceback halfway through
a merge."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workstation.errors import WorkstationError
from workstation.evidence.exhibits import check_ref
from workstation.platforms import PLATFORMS
from workstation.timeutil import parse_iso

_HEX64 = re.compile(r"[0-9a-f]{64}")

Check = Callable[[Any], bool]


class ShapeError(ValueError):
    """What in case.json has the wrong shape."""


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _time(value: Any) -> bool:
    """A time as the workspace writes it (ISO 8601, UTC)."""
    if not isinstance(value, str):
        return False
    try:
        parse_iso(value)
    except ValueError:
        return False
    return True


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional_number(value: Any) -> bool:
    return value is None or _number(value)


def _sha256(value: Any) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _exhibit_ref(value: Any) -> bool:
    """An exhibit reference of the form this workspace assigns (AB/1 ...)."""
    if not isinstance(value, str):
        return False
    try:
        return check_ref(value) == value
    except WorkstationError:
        return False


def _one_of(*allowed: Any) -> Check:
    return lambda value: value in allowed


def _list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(v) for v in value)


CAPTURE: dict[str, Check] = {
    "sha256": _sha256, "md5": _text, "size": _count, "format": _text, "width": _count,
    "height": _count, "captured_at": _time,
    "captured_at_source": _one_of("analyst", "file", "system"), "imported_at": _time,
    "analyst": _text, "capture_method": _one_of("import", "paste", "screen", "watch"),
    "original_filename": _optional_text, "source_url": _optional_text,
    "platform": _one_of(None, *PLATFORMS), "handle": _optional_text,
    "content_id": _optional_text, "notes": _text, "app_version": _text, "file": _text,
    "tags": _list_of(lambda t: isinstance(t, str) and bool(t.strip())),
    "exhibit": lambda v: v is None or (isinstance(v, dict) and _exhibit_ref(v.get("ref"))),
    "ocr_runs": _list_of(lambda v: isinstance(v, dict)),
    "reviews": _list_of(lambda v: isinstance(v, dict)),
    "redactions": _list_of(lambda v: isinstance(v, dict)),
    "indicators": _list_of(lambda v: isinstance(v, dict)),
}

RUN: dict[str, Check] = {
    "engine": _text, "engine_version": _text, "languages": _text,
    "params": lambda v: isinstance(v, dict), "text": _text,
    "words": _list_of(lambda v: isinstance(v, dict)), "confidence": _optional_number,
    "duration": _number, "created_at": _time, "analyst": _text,
    "advert_languages": _text, "coverage": _optional_number,
    "unread": _list_of(_list_of(_number)),
}

REVIEW: dict[str, Check] = {
    "kind": _text, "normalized": _text, "verdict": _one_of("confirmed", "rejected"),
    "analyst": _text, "reviewed_at": _time,
}

BOX: dict[str, Check] = {"x": _count, "y": _count, "w": _count, "h": _count}

REDACTION: dict[str, Check] = {
    "sha256": _sha256, "original_sha256": _sha256, "log_sha256": _text,
    "boxes": _list_of(lambda b: isinstance(b, dict) and _fields_ok(b, BOX)),
}

STAMP: dict[str, Check] = {
    "kind": _text, "subject": _text, "digest": _text, "file": _text,
    "gen_time": _optional_text, "tsa_url": _optional_text,
}


def _fields_ok(value: dict[str, Any], fields: dict[str, Check]) -> bool:
    return all(check(value.get(name)) for name, check in fields.items())


def _check(value: Any, fields: dict[str, Check], where: str) -> None:
    if not isinstance(value, dict):
        raise ShapeError(f"{where} is not an object")
    for name, check in fields.items():
        if not check(value.get(name)):
            raise ShapeError(f"{where}: {name} is missing or of the wrong type")


def check_shape(records: dict[str, Any]) -> None:
    """Raise :class:`ShapeError` naming the first value of the wrong shape."""
    if not _time(records.get("exported_at")) or not _text(records.get("exported_by")):
        raise ShapeError("exported_at or exported_by is missing or of the wrong type")
    workspace = records.get("workspace")
    if not isinstance(workspace, dict) or not _text(workspace.get("id")):
        raise ShapeError("workspace is missing or of the wrong type")
    case = records.get("case")
    if not isinstance(case, dict) or not _text(case.get("name")) or not case["name"].strip():
        raise ShapeError("case is missing or has no name")
    captures = records.get("captures")
    if not isinstance(captures, list):
        raise ShapeError("captures is not a list")
    seen: set[str] = set()
    for number, capture in enumerate(captures, start=1):
        where = f"capture {number}"
        _check(capture, CAPTURE, where)
        if capture["sha256"] in seen:
            raise ShapeError(f"{where} is listed twice")
        seen.add(capture["sha256"])
        for run in capture["ocr_runs"]:
            _check(run, RUN, f"{where}, an OCR run")
        for review in capture["reviews"]:
            _check(review, REVIEW, f"{where}, a verdict")
        for redaction in capture["redactions"]:
            _check(redaction, REDACTION, f"{where}, a redaction")
    stamps = records.get("timestamps", [])
    if not isinstance(stamps, list):
        raise ShapeError("timestamps is not a list")
    for stamp in stamps:
        _check(stamp, STAMP, "a timestamp")
