"""What a redaction is: boxes (:class:`Box`) and the redacted copy made from them
(:class:`Redaction`), and the redaction log's canonical form (what is hashed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from workstation.errors import WorkstationError

#: Where a box came from: drawn by the analyst, a face the detector suggested, words OCR read.
SOURCES = ("manual", "face", "ocr")
#: The reasons offered in the editor (any other text is accepted too).
COMMON_REASONS = ("third-party face", "third-party phone number", "third-party name", "other")
#: The longest reason kept.
MAX_REASON = 200


class RedactionError(WorkstationError):
    """A redaction that cannot be made or checked (a bad box, a copy that differs)."""


@dataclass(frozen=True, slots=True)
class Box:
    """One box to fill, in the pixels of the image as shown (EXIF orientation applied)."""

    x: int
    y: int
    w: int
    h: int
    reason: str = ""
    source: str = "manual"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Box:
        if not isinstance(data, dict):
            raise RedactionError("A redaction log entry is not a box.")
        try:
            return cls(int(data["x"]), int(data["y"]), int(data["w"]), int(data["h"]),
                       str(data.get("reason", "")), str(data.get("source", "manual")))
        except (KeyError, TypeError, ValueError):
            raise RedactionError("A redaction log entry lacks x, y, w or h.") from None

    def overlaps(self, other: Sequence[float]) -> bool:
        """Whether this box overlaps ``other`` (``x, y, w, h``)."""
        ox, oy, ow, oh = (float(v) for v in other[:4])
        return (self.x < ox + ow and ox < self.x + self.w
                and self.y < oy + oh and oy < self.y + self.h)


@dataclass(frozen=True, slots=True)
class Redaction:
    """A redacted copy of a capture: ``sha256`` of the copy, made from the original
    ``original_sha256`` by filling ``boxes`` (the log, whose canonical JSON has the
    SHA-256 ``log_sha256``) with ``method``."""

    id: int
    capture_id: int
    sha256: str
    original_sha256: str
    boxes: tuple[Box, ...]
    log_sha256: str
    created_at: str
    created_by: str
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["boxes"] = [b.to_dict() for b in self.boxes]
        return data


def canonical_log(boxes: Iterable[Box]) -> str:
    """The redaction log as stored and hashed: a JSON list of boxes, keys sorted, no spaces."""
    return json.dumps([b.to_dict() for b in boxes], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def log_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_log(text: str) -> tuple[Box, ...]:
    """The boxes of a stored log; :class:`RedactionError` if it is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        raise RedactionError("The redaction log is not JSON.") from None
    if not isinstance(data, list):
        raise RedactionError("The redaction log is not a list of boxes.")
    return tuple(Box.from_dict(d) for d in data)


def clean_reason(reason: str) -> str:
    """One line, at most :data:`MAX_REASON` characters; refused when empty."""
    text = " ".join(str(reason).split())[:MAX_REASON]
    if not text:
        raise RedactionError("Give each box a reason (e.g. third-party face).")
    return text
