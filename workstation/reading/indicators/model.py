"""What an indicator is (:class:`Indicator`, :class:`WordBox`), the kinds, and how a
span of text maps back to the OCR word boxes it was read from."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from workstation.errors import WorkstationError
from workstation.settings import SETTINGS

IndicatorKind = Literal["phone", "whatsapp", "telegram", "url", "handle", "email", "price",
                        "crypto"]


KINDS: tuple[IndicatorKind, ...] = ("phone", "whatsapp", "telegram", "url", "handle", "email",
                                    "price", "crypto")
#: The kinds that link captures and go to platforms as identifiers (a shared price says
#: little, so prices do not link).
LINK_KINDS: tuple[IndicatorKind, ...] = tuple(k for k in KINDS if k != "price")


#: Where the people advertising crossings and their customers usually have numbers
#: (``config region_hints``: the default is the settings table's).
DEFAULT_REGIONS: tuple[str, ...] = tuple(SETTINGS["region_hints"].default.split(","))


Box = tuple[int, int, int, int]


# ----------------------------------------------------------------- data types
class InvalidRegionHint(WorkstationError, ValueError):
    """A phone region hint is not an ISO 3166 region libphonenumber knows."""


class WordLike(Protocol):
    """Anything with a word's text and its box (e.g. :class:`WordBox`, an OCR word)."""

    @property
    def text(self) -> str: ...

    @property
    def bbox(self) -> Box: ...


@dataclass(frozen=True, slots=True)
class WordBox:
    """One OCR word: its text and box ``(x, y, w, h)``, and when known the confidence
    (0-100) it was read with and its line in Tesseract's layout ``(block, paragraph,
    line)``: the confidence marks indicators for confirmation, the boxes decide
    whether a number continues on the next line."""

    text: str
    bbox: Box
    confidence: float | None = None
    line_key: tuple[int, int, int] | None = None

    @staticmethod
    def from_dicts(words: Iterable[Mapping[str, Any]]) -> list[WordBox]:
        """The same as :func:`word_boxes`."""
        return word_boxes(words)


def word_boxes(words: Iterable[Mapping[str, Any]]) -> list[WordBox]:
    """:class:`WordBox` objects from OCR word dicts (``OcrWord.to_dict()``, or what
    ``decode_words`` gives back from storage), skipping empty words.

    Reading an image and replaying a stored run (``verify``) both go through here, so
    the indicators found from the same words are the same."""
    boxes = []
    for w in words:
        if not w.get("text"):
            continue
        x, y, width, height = (int(v) for v in w["bbox"])
        confidence = w.get("confidence")
        key = None
        if all(w.get(k) is not None for k in ("block", "paragraph", "line")):
            key = (int(w["block"]), int(w["paragraph"]), int(w["line"]))
        boxes.append(WordBox(str(w["text"]), (x, y, width, height),
                             None if confidence is None else float(confidence), key))
    return boxes


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator found in a text.

    ``value`` is ``text[start:end]`` exactly as read; ``normalized`` is the form used
    for linking (see the module docstring); ``box`` is ``(x, y, w, h)`` when word
    boxes were given; ``alternatives`` lists other valid E.164 readings of a phone
    number written without its country code.  ``platform``: the platform the text
    names for it ("Instagram: @x" gives ``instagram``; a link's host), ``None`` when
    nothing names one (the capture's own platform then applies).  ``confidence``: the
    lowest OCR confidence of the words it was read from.  ``attention``: why the
    analyst should confirm it before it goes out (a short phrase), or ``None``.
    """

    kind: IndicatorKind
    value: str
    normalized: str
    start: int
    end: int
    source: str = "ocr"
    box: Box | None = None
    alternatives: tuple[str, ...] = ()
    platform: str | None = None
    confidence: float | None = None
    attention: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown indicator kind {self.kind!r}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}..{self.end}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (tuples become lists)."""
        return {
            "kind": self.kind, "value": self.value, "normalized": self.normalized,
            "start": self.start, "end": self.end, "source": self.source,
            "box": list(self.box) if self.box is not None else None,
            "alternatives": list(self.alternatives),
            "platform": self.platform, "confidence": self.confidence,
            "attention": self.attention,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Indicator:
        """The inverse of :meth:`to_dict`."""
        box = data.get("box")
        return cls(
            kind=cast(IndicatorKind, str(data["kind"])), value=str(data["value"]),
            normalized=str(data["normalized"]), start=int(data["start"]),
            end=int(data["end"]), source=str(data.get("source", "ocr")),
            box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])) if box else None,
            alternatives=tuple(str(a) for a in data.get("alternatives", ())),
            platform=_optional_str(data.get("platform")),
            confidence=None if data.get("confidence") is None else float(data["confidence"]),
            attention=_optional_str(data.get("attention")),
        )


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class Found:
    """An indicator before it becomes an :class:`Indicator` (offsets into the text)."""

    kind: IndicatorKind
    start: int
    end: int
    normalized: str
    alternatives: tuple[str, ...] = ()
    platform: str | None = None
    joined: bool = False  # read from two lines (or a link and the line after it)
    note: str | None = None  # how it was read that the analyst should know of


# --------------------------------------------------------------------- digits
_PREPARE = {
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u066a": "%",  # Arabic percent sign
    "\uff0b": "+",  # fullwidth plus
    "\uff20": "@",  # fullwidth commercial at
    "\u2212": "-",  # minus sign
}


def prepare_text(text: str) -> str:
    """The working copy of ``text``: one character for one, ASCII digits, and invisible
    format characters (direction marks, zero-width joiners) turned into spaces."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        mapped = _PREPARE.get(ch)
        if mapped is None:
            value = unicodedata.decimal(ch, None)
            if value is not None:
                mapped = str(value)
            elif unicodedata.category(ch) == "Cf":
                mapped = " "
            else:
                mapped = ch
        out.append(mapped)
    return "".join(out)


_MASK = "\x00"


def masked(work: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(work)
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


# -------------------------------------------------------------- word boxes
def align_words(text: str, words: Sequence[WordLike]) -> list[tuple[int, int] | None]:
    """Where each word (in reading order) lies in ``text``: ``(start, end)`` or ``None``.

    Words are looked for in order, each after the previous one, first close by
    (the words joined with spaces or line breaks), then anywhere further on for
    words of three characters or more; a word that cannot be found is skipped
    without losing the place, so one misread word does not shift the others.
    """
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for word in words:
        token = word.text.strip()
        if not token:
            spans.append(None)
            continue
        index = text.find(token, pos, pos + len(token) + 16)
        if index < 0 and len(token) >= 3:
            index = text.find(token, pos)
        if index < 0:
            spans.append(None)
            continue
        spans.append((index, index + len(token)))
        pos = index + len(token)
    return spans


def box_for_span(spans: Sequence[tuple[int, int] | None], words: Sequence[WordLike],
                 start: int, end: int) -> Box | None:
    """The union of the boxes of the words overlapping ``text[start:end]``."""
    boxes = [word.bbox for span, word in zip(spans, words, strict=True)
             if span is not None and span[0] < end and span[1] > start]
    if not boxes:
        return None
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return (int(left), int(top), int(right - left), int(bottom - top))
