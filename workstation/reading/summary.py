"""What the analyst is told about one OCR run, in words: the advert's languages, how much
of the page's text was read and how many regions were left unread — e.g. ``Persian,
English · 97 % of text read · 1 region not read``.  The viewer and ``workstation show``
print the same line, so a reading never looks more complete in one than in the other.
"""

from __future__ import annotations

import math

from workstation.reading.service import OcrRun

#: Tesseract language codes -> English names (the languages adverts are met in, and a
#: few more); an unknown code is shown as it is.
LANGUAGE_NAMES = {
    "eng": "English", "fra": "French", "tur": "Turkish", "sqi": "Albanian",
    "vie": "Vietnamese", "kmr": "Kurmanji", "ara": "Arabic", "fas": "Persian",
    "pus": "Pashto", "urd": "Urdu", "ckb": "Sorani", "tir": "Tigrinya", "amh": "Amharic",
    "deu": "German", "ita": "Italian", "spa": "Spanish", "por": "Portuguese",
    "rus": "Russian", "ukr": "Ukrainian", "som": "Somali", "ben": "Bengali",
}


def language_names(codes: str) -> list[str]:
    """``"fas+eng"`` -> ``["Persian", "English"]``."""
    return [LANGUAGE_NAMES.get(code, code) for code in codes.split("+") if code]


def coverage_text(coverage: float | None) -> str | None:
    """``0.974`` -> ``"97 % of text read"``, rounded down: a run never looks complete
    when some text was skipped."""
    if coverage is None:
        return None
    return f"{math.floor(max(0.0, min(1.0, coverage)) * 100)} % of text read"


def reading_summary(run: OcrRun) -> str:
    """One line about an OCR run (runs made before the advert's language and coverage
    were measured say only what they have)."""
    parts = []
    names = language_names(run.advert_languages)
    if names:
        parts.append(", ".join(names))
    covered = coverage_text(run.coverage)
    if covered:
        parts.append(covered)
    unread = len(run.unread)
    if unread:
        parts.append(f"{unread} region{'s' if unread != 1 else ''} not read")
    return " · ".join(parts)
