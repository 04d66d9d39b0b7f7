"""The OCR result types, :class:`OcrResult` and :class:`OcrWord`, and their JSON form.

Word boxes are always in the pixel coordinates of the image as given (before
any upscaling), so the UI can draw them over the original screenshot.  Text
is kept as Tesseract read it: digits are not normalised, only the invisible
direction marks Tesseract adds around Latin runs in right-to-left text are
removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One recognised word: text, confidence 0-100, box ``(x, y, w, h)`` and its place
    in Tesseract's layout (block, paragraph, line within paragraph, word within line,
    all from 1)."""

    text: str
    confidence: float
    bbox: tuple[int, int, int, int]
    block: int
    paragraph: int
    line: int
    word: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": round(self.confidence, 2),
                "bbox": list(self.bbox), "block": self.block, "paragraph": self.paragraph,
                "line": self.line, "word": self.word}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OcrWord:
        x, y, w, h = (int(v) for v in data["bbox"])
        return cls(str(data["text"]), float(data["confidence"]), (x, y, w, h),
                   int(data["block"]), int(data["paragraph"]), int(data["line"]),
                   int(data["word"]))


@dataclass(slots=True)
class OcrResult:
    """The OCR of one image.

    ``engine``/``engine_version``: ``tesserocr`` or ``pytesseract`` and the Tesseract
    version.  ``languages``: the traineddata used (e.g. ``["ara", "eng"]``).
    ``parameters``: psm, ``preprocessing`` (the steps applied), ``scale``, and in
    automatic mode the detected ``script`` and the ``candidates`` tried with their
    confidences.  ``mean_confidence``: mean of the word confidences (0 without words).
    ``duration_s``: wall time including preprocessing.  ``image_size``: width and
    height of the original image.  ``advert_languages``: the language(s) the advert
    is written in as identified (``["fas", "eng"]``), not the models tried.
    ``coverage``: the share (0..1) of the page's text regions that were read, or
    ``None`` when not measured.  ``unread``: boxes ``(x, y, w, h)`` (original pixels)
    of regions with ink that could not be read.
    """

    engine: str
    engine_version: str
    languages: list[str]
    parameters: dict[str, Any]
    text: str
    words: list[OcrWord]
    mean_confidence: float
    duration_s: float
    image_size: tuple[int, int] = (0, 0)
    advert_languages: list[str] = field(default_factory=list)
    coverage: float | None = None
    unread: list[tuple[int, int, int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (only str, int, float, bool, None, list and dict)."""
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "languages": list(self.languages),
            "parameters": self.parameters,
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
            "mean_confidence": round(self.mean_confidence, 2),
            "duration_s": round(self.duration_s, 4),
            "image_size": list(self.image_size),
            "advert_languages": list(self.advert_languages),
            "coverage": None if self.coverage is None else round(self.coverage, 4),
            "unread": [list(b) for b in self.unread],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OcrResult:
        size = data.get("image_size") or (0, 0)
        return cls(
            engine=str(data["engine"]),
            engine_version=str(data["engine_version"]),
            languages=[str(x) for x in data["languages"]],
            parameters=dict(data.get("parameters") or {}),
            text=str(data["text"]),
            words=[OcrWord.from_dict(w) for w in data.get("words", [])],
            mean_confidence=float(data["mean_confidence"]),
            duration_s=float(data["duration_s"]),
            image_size=(int(size[0]), int(size[1])),
            advert_languages=[str(x) for x in data.get("advert_languages") or []],
            coverage=None if data.get("coverage") is None else float(data["coverage"]),
            unread=[(int(b[0]), int(b[1]), int(b[2]), int(b[3]))
                    for b in data.get("unread") or []],
        )
