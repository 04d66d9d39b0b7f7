"""Why an indicator read by OCR should be confirmed by the analyst before it goes to a
platform: its words were read with low confidence, it was joined across a line break,
or another reading of the same image does not have it (``@mohajertravel`` against
``@mohajer.travel``).  The reason is a short phrase shown to the analyst; notes and
metadata, typed by people, never need one."""

from __future__ import annotations

import re
from collections.abc import Sequence

from workstation.reading.indicators.model import LINK_KINDS, WordLike, prepare_text

#: Word confidence (Tesseract, 0-100) under which an indicator is marked.  On the
#: advert set (tests/adverts.py, 34 screenshots, 1155 words) 3 % of the words read
#: right score under 85 and 68 % of those misread do.
CONFIDENCE_FLOOR = 85.0

#: The same for handles and links, which platforms match character for character:
#: ``@mohajertravel`` (a dot lost) scored 88-90 where such words read right mostly
#: score 90-93, so one stray character is worth a second look (8 % of the words
#: read right score under 90, 73 % of the misread ones).
EXACT_FLOOR = 90.0


_EXACT_KINDS = frozenset({"handle", "url", "email", "telegram", "crypto"})


_SPACE_RE = re.compile(r"\s+")


_NON_DIGIT_RE = re.compile(r"\D+")


def lowest_confidence(spans: Sequence[tuple[int, int] | None], words: Sequence[WordLike],
                      start: int, end: int) -> float | None:
    """The lowest confidence of the words overlapping ``text[start:end]`` (``None``
    when none is known)."""
    values = [c for span, word in zip(spans, words, strict=True)
              if span is not None and span[0] < end and span[1] > start
              and (c := getattr(word, "confidence", None)) is not None and c >= 0]
    return float(min(values)) if values else None


class Attention:
    """Decides the ``attention`` of the indicators of one text."""

    def __init__(self, source: str, other_readings: Sequence[str]) -> None:
        self.ocr = source == "ocr"
        # (a reading that found no text at all says nothing about any indicator)
        prepared = [prepare_text(t) for t in other_readings if t and t.strip()]
        self._digits = [_NON_DIGIT_RE.sub("", t) for t in prepared]
        self._compact = [_SPACE_RE.sub("", t).casefold() for t in prepared]

    def reason(self, kind: str, value: str, confidence: float | None, joined: bool,
               note: str | None = None) -> str | None:
        """The reasons to confirm an indicator read as ``value`` (prepared text), or
        ``None``; ``note`` is one from how it was found (a "+" read as "4")."""
        if not self.ocr:
            return None
        reasons = [note] if note else []
        floor = EXACT_FLOOR if kind in _EXACT_KINDS else CONFIDENCE_FLOOR
        if confidence is not None and confidence < floor:
            reasons.append(f"low OCR confidence ({int(confidence)})")
        if joined:
            reasons.append("joined across lines")
        if kind in LINK_KINDS and not self._in_every_reading(kind, value):
            reasons.append("read differently by another pass")
        return "; ".join(reasons) or None

    def _in_every_reading(self, kind: str, value: str) -> bool:
        """Whether every other reading has the same characters: the same digits for a
        number (its layout may differ), the same text without spaces otherwise."""
        digits = _NON_DIGIT_RE.sub("", value)
        if kind == "phone" or (kind == "whatsapp" and len(digits) >= 7):
            return all(digits in other for other in self._digits)
        compact = _SPACE_RE.sub("", value).casefold()
        return all(compact in other for other in self._compact)
