"""Folding text for search and matching, across scripts — one implementation for
the full-text index, its queries, the keyword lexicon and indicator extraction.

``fold`` makes text comparable without changing what is stored: NFKC,
casefolded, combining marks removed (Latin accents, Arabic harakat), tatweel and
direction marks removed, Arabic/Persian/Kurdish letter variants unified
(ي/ی/ى, ك/ک, ة/ه, أ/إ/آ/ٱ → ا ...), Turkish dotless ı and similar letters mapped,
and every decimal digit (Arabic-Indic ٠-٩, Persian ۰-۹ ...) written in ASCII.
``fold_with_offsets`` also maps each folded character back to the original, so
matches can be reported in the text as read.  Evidence text is always kept as read.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_FOLD_LETTERS = {
    "ı": "i", "đ": "d", "ð": "d", "ł": "l", "ø": "o", "ħ": "h",
    "ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ێ": "ی",
    "ك": "ک", "ګ": "گ",
    "ة": "ه", "ە": "ه", "ھ": "ه",
    "ٱ": "ا",
    "ڵ": "ل", "ڕ": "ر", "ۆ": "و", "ڤ": "ف",
    "٪": "%", "٫": ".", "٬": ",",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "`": "'",
    "\u200c": " ",  # zero-width non-joiner separates Persian morphemes: a space here
}


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """The folded form of one character (possibly empty or several characters)."""
    if ch in _FOLD_LETTERS:
        return _FOLD_LETTERS[ch]
    if ch == "\u0640" or unicodedata.category(ch) == "Cf":
        return ""  # tatweel, direction marks, zero-width joiner ...
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", ch).casefold())
    return "".join(_FOLD_LETTERS.get(c, c) for c in text if unicodedata.category(c) != "Mn")


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded form of ``text`` and, for each of its characters, the index of the
    character of ``text`` it comes from."""
    out: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        folded = ch if ch.isascii() and not ch.isupper() and ch != "`" else _fold_char(ch)
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), offsets


def fold(text: str) -> str:
    """The matching form of ``text``: NFKC, casefolded, marks and tatweel removed,
    letter variants and digits unified (see the module docstring)."""
    return fold_with_offsets(text)[0]


def normalize_digits(text: str) -> str:
    """``text`` with every decimal digit (Arabic-Indic ٠-٩, Persian ۰-۹, fullwidth ...)
    written as ASCII ``0``-``9``; nothing else changes, so offsets are preserved."""
    if text.isascii():
        return text
    return "".join(_ascii_digit(ch) for ch in text)


def _ascii_digit(ch: str) -> str:
    if ch.isascii():
        return ch
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)
