"""Reading numbers written in Arabic-Indic (``٠١٢٣``) or Persian (``۰۱۲۳``) digits again,
one digit at a time.

Tesseract's ``ara`` and ``fas`` models misread these digits in a line of Arabic-script
text: ``اتصل: ٠٠٩٦٤ ٧٥١ ٢٣٤ ٥٦٧٨`` comes out as ``اتصل: ٠١176 اهلا 7186 لاه`` (``ara``)
or ``۷۵۱۰۰۹1۱6 ۲۳۶ 07۷۸`` (``fas``), with the number's groups in screen order, so the
phone number an advert is about is lost.  Read alone, each digit is another matter:
the ``Arabic`` script model names the glyphs of a digit group one by one (``٦``,
``۷``, ``٤``; the round ``٥`` as the Latin ``0`` it looks like), and a small dot at
mid-height is the zero ``٠``.

:func:`fix_indic_numbers` looks at the lines of a page that mix right-to-left words
with something that may be a number (a word holding a digit, or read with a very low
confidence), cuts them into groups of glyphs at the gaps between them, and reads
each group whose glyphs are all narrow (digits are; joined Arabic letters are not)
glyph by glyph.  A group becomes a number only when *every* glyph reads as a digit;
the words it covers are replaced by it, and the line is put back in reading order:
right to left, each number's digits left to right.  Anything else is left as read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps

from workstation.reading.ocr.backends import Backend, RawWord
from workstation.reading.ocr.errors import OcrFailed
from workstation.reading.ocr.languages import has_rtl, is_eastern_digit

#: The model that reads single Arabic-script digits (Tesseract's script model).
DIGIT_MODEL = "Arabic"

#: Tesseract's page segmentation mode for one character.
PSM_SINGLE_CHAR = 10

#: A glyph is enlarged this many times before it is read (at the size of a phone's
#: text, 22 px high, ``٦`` is read as ``1``; twice that size, as ``٦``).
GLYPH_SCALE = 2

#: A word read with a confidence under this in a right-to-left line may be a number
#: read as letters (``يورو`` at 6 over ``٤٠٠٠``).
LOW_CONFIDENCE = 60.0

#: A number Tesseract read with this confidence (every word over it) and as many
#: digits as the glyphs read one by one is kept as Tesseract read it.
SURE_CONFIDENCE = 80.0

#: A word is replaced by the numbers read over it when they cover this share of its
#: width; a word they cover less is kept, and those numbers are not used.
WHOLE_WORD = 0.7

#: A glyph read with a lower confidence than this leaves its group as Tesseract read it.
MIN_GLYPH_CONFIDENCE = 60.0

#: At most this many glyphs are read one by one per image (in-process; with the
#: ``tesseract`` program, one process a glyph, the second figure).
MAX_GLYPHS = 80
MAX_GLYPHS_PROCESSES = 24

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
#: Digits whose shapes differ between the two sets (4, 5, 6).
_ARABIC_ONLY = set("٤٥٦")
_PERSIAN_ONLY = set("۴۵۶")
#: Letters only Persian, Urdu, Pashto or Kurdish write (those pages use ``۰۱۲``).
_EXTENDED_LETTERS = set("پچژگکیٹڈڑےںټډړښږځڅګڵڕێۆە")
#: What the script model calls the round five (``٥``) it reads as Latin.
_ROUND_FIVE = set("0oO")


@dataclass(frozen=True, slots=True)
class _Glyph:
    left: int
    top: int
    width: int
    height: int


@dataclass(slots=True)
class _Number:
    left: int
    top: int
    width: int
    height: int
    values: list[int]
    confidence: float
    family: str  # "arabic", "persian" or "" (either)


def _digit_value(ch: str) -> int | None:
    for digits in (ARABIC_INDIC, PERSIAN):
        i = digits.find(ch)
        if i >= 0:
            return i
    return None


def _glyphs(ink: np.ndarray) -> list[_Glyph]:
    """Column runs of ink (left to right), each with its ink's vertical extent."""
    cols = ink.any(axis=0)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], cols.view(np.int8), [0]))))
    out = []
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        rows = np.flatnonzero(ink[:, start:stop].any(axis=1))
        out.append(_Glyph(int(start), int(rows[0]), int(stop - start),
                          int(rows[-1] + 1 - rows[0])))
    return out


def _groups(glyphs: list[_Glyph]) -> list[list[_Glyph]]:
    """Glyphs split where the gap between two is wider than 0.4 of the line's usual
    glyph height (the space between words; digits stand 4-7 px apart at 22 px)."""
    if not glyphs:
        return []
    tall = sorted(g.height for g in glyphs)
    gap = max(4.0, 0.4 * tall[len(tall) // 2])
    groups = [[glyphs[0]]]
    for g in glyphs[1:]:
        prev = groups[-1][-1]
        if g.left - (prev.left + prev.width) > gap:
            groups.append([g])
        else:
            groups[-1].append(g)
    return groups


class _Reader:
    """Reads digit groups glyph by glyph, within a budget of glyphs per image."""

    def __init__(self, backend: Backend, timeout_s: float) -> None:
        self._backend = backend
        self._timeout_s = timeout_s
        # The ``tesseract`` program (the pytesseract fallback) starts a process a glyph.
        self.budget = MAX_GLYPHS if backend.name != "pytesseract" else MAX_GLYPHS_PROCESSES

    def number(self, grey: np.ndarray, light: bool, group: list[_Glyph],
               dx: int, dy: int) -> _Number | None:
        """The group as a number, or ``None`` unless every glyph is a digit; ``light``:
        the ink is lighter than the ground."""
        body = [g for g in group if not self._is_dot(g, group)]
        if not body or any(g.width > 1.2 * g.height or self._is_mark(g, group) for g in body):
            return None  # only dots; a glyph as wide as joined letters; a comma or dash
        values: list[int] = []
        confidences: list[float] = []
        seen: set[str] = set()
        for g in group:
            if g not in body:
                values.append(0)
                continue
            read = self._read_glyph(grey, light, g)
            if read is None:
                return None
            text, confidence = read
            value = self._value(text)
            if value is None:
                return None
            seen.update(text)
            values.append(value)
            confidences.append(confidence)
        if not any(_digit_value(c) is not None for c in seen) and len(body) == len(group):
            return None  # a Latin ``0`` or ``o`` alone (no zero dot) is no Arabic-Indic five
        if min(confidences) < MIN_GLYPH_CONFIDENCE:
            return None
        family = ("arabic" if seen & _ARABIC_ONLY or seen & _ROUND_FIVE
                  else "persian" if seen & _PERSIAN_ONLY else "")
        top = min(g.top for g in group)
        bottom = max(g.top + g.height for g in group)
        left = group[0].left
        return _Number(left + dx, top + dy, group[-1].left + group[-1].width - left,
                       bottom - top, values, sum(confidences) / len(confidences), family)

    @staticmethod
    def _is_mark(g: _Glyph, group: list[_Glyph]) -> bool:
        """A small mark that is no zero: a comma (``،``), a dash, a full stop low down."""
        return g.height <= 0.45 * max(x.height for x in group) and not _Reader._is_dot(g, group)

    @staticmethod
    def _is_dot(g: _Glyph, group: list[_Glyph]) -> bool:
        """A zero (``٠``, ``۰``): a small, roughly square mark at the middle of the
        digits' height (a comma ``،`` is twice as high as wide, a dash flat)."""
        tallest = max(x.height for x in group)
        if g.height > 0.45 * tallest or g.width > 0.6 * tallest:
            return False
        if not 0.6 <= g.width / max(1, g.height) <= 1.6:
            return False
        top = min(x.top for x in group)
        middle = g.top + g.height / 2 - top
        return 0.2 * tallest <= middle <= 0.85 * tallest

    @staticmethod
    def _value(text: str) -> int | None:
        """One digit's value from what the model read: a digit (maybe doubled, ``۹٩``)
        or the round five read as ``0``/``o``; anything else is no digit."""
        values = {5 if c in _ROUND_FIVE else _digit_value(c) for c in text}
        if len(values) != 1:
            return None
        return values.pop()

    def _read_glyph(self, grey: np.ndarray, light: bool,
                    g: _Glyph) -> tuple[str, float] | None:
        if self.budget <= 0:
            return None
        self.budget -= 1
        crop = grey[g.top:g.top + g.height, g.left:g.left + g.width]
        if light:
            crop = 255 - crop  # light ink on a dark ground: the model wants dark on light
        cut = Image.fromarray(crop)
        cut = cut.resize((g.width * GLYPH_SCALE, g.height * GLYPH_SCALE),
                         Image.Resampling.LANCZOS)
        cut = ImageOps.expand(cut, 10 * GLYPH_SCALE, fill=255)
        try:
            words = self._backend.read(cut, DIGIT_MODEL, PSM_SINGLE_CHAR, self._timeout_s)
        except OcrFailed:
            return None
        text = "".join(w.text for w in words).strip()
        if not text:
            return None
        return text, min(w.confidence for w in words)


def _line_key(w: RawWord) -> tuple[int, int, int]:
    return (w.block, w.paragraph, w.line)


def _candidate_line(line: Sequence[RawWord]) -> bool:
    """A line with right-to-left words and something that may be a misread number."""
    if not any(sum(1 for c in w.text if has_rtl(c)) >= 2 for w in line):
        return False
    return any(any(c.isdigit() for c in w.text) or w.confidence < LOW_CONFIDENCE
               for w in line)


def _words_over(number: _Number, line: Sequence[RawWord]) -> list[RawWord]:
    """The words of ``line`` that half or more of lies over ``number`` (or that it
    half fills)."""
    return [w for w in line if _overlap(w, number) > 0.5 * min(w.width, number.width)]


def _suspect(number: _Number, line: Sequence[RawWord]) -> bool:
    """Whether the words over a group leave room for a number there: a word with a
    digit or a low confidence, or no word at all (a group Tesseract skipped)."""
    over = _words_over(number, line)
    return not over or any(any(c.isdigit() for c in w.text) or w.confidence < LOW_CONFIDENCE
                           or not has_rtl(w.text) for w in over)


def _doubtful(number: _Number, line: Sequence[RawWord]) -> bool:
    """Whether what Tesseract read over ``number`` may be wrong: nothing, a word without
    a digit (a number read as letters or Latin junk), a word under
    :data:`SURE_CONFIDENCE`, Western digits among Arabic-Indic ones (``01۷۸``), or
    another count of digits.  A number read confidently
    with as many digits is left as read: one glyph read alone is not surer than that."""
    over = _words_over(number, line)
    digits = sum(1 for w in over for c in w.text if c.isdigit())
    return (not over or digits != len(number.values)
            or any(not any(c.isdigit() for c in w.text) or w.confidence < SURE_CONFIDENCE
                   or (_indic(w.text) and any(c in "0123456789" for c in w.text))
                   for w in over))


def _covered_share(w: RawWord, numbers: Sequence[_Number]) -> float:
    return sum(_overlap(w, n) for n in numbers) / max(1, w.width)


def _whole_words(numbers: list[_Number], line: Sequence[RawWord]) -> list[_Number]:
    """The numbers that replace whole words: one over part of a word only (the word
    also covers a group that did not read as digits) would lose the rest of it."""
    while True:
        partial = [w for w in line if 0 < _covered_share(w, numbers) < WHOLE_WORD]
        keep = [n for n in numbers if not any(_overlap(w, n) for w in partial)]
        if len(keep) == len(numbers):
            return keep
        numbers = keep


def _over_digits(number: _Number, line: Sequence[RawWord]) -> bool:
    """Whether a word over ``number`` was read with a digit in it."""
    return any(_overlap(w, number) > 0 and any(c.isdigit() for c in w.text) for w in line)


def _overlap(w: RawWord, n: _Number) -> int:
    return max(0, min(w.left + w.width, n.left + n.width) - max(w.left, n.left))


def _ink(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    """Where the ink is, dark on a light ground or light on a dark one (by the median),
    and whether it is light."""
    light = float(np.median(grey)) < 128
    return (grey >= 128 if light else grey < 128), light


def _render(number: _Number, extended: bool) -> str:
    digits = (PERSIAN if number.family == "persian"
              or (number.family == "" and extended) else ARABIC_INDIC)
    return "".join(digits[v] for v in number.values)


def _indic(text: str) -> bool:
    return any(is_eastern_digit(c) for c in text)


_DASHED_RE = re.compile(r"[٠-٩۰-۹]+(?:-[٠-٩۰-۹]+)+")


def _typed_order(text: str) -> str:
    """A number in Arabic-Indic or Persian digits with its groups joined by dashes, in
    the order it was typed.  The bidirectional algorithm draws such a number's
    groups right to left (a dash does not join Arabic-Indic digits into one run as
    it joins Western ones), and Tesseract reads the word left to right:
    ``۰۹۱۲-۶۵۴-۷۸۹۰`` is read ``۷۸۹۰-۶۵۴-۰۹۱۲``.  Anything else is returned as it is."""
    if not _DASHED_RE.fullmatch(text):
        return text
    return "-".join(reversed(text.split("-")))


def _put_in(line: list[RawWord], numbers: list[_Number], extended: bool,
            key: tuple[int, int, int]) -> list[RawWord]:
    """``line`` with the words the numbers cover taken out and the numbers put in.

    The numbers, and the words left with Arabic-Indic or Persian digits, go in
    right-to-left order, each before the first word whose middle is left of its own:
    the reading order of a right-to-left line (Tesseract, and the re-reading of
    left-to-right runs, may have put a misread number before the word that precedes
    it: ``٥٦٧٨ ٢٣٤ ٧٥١ ٠٠٩٦٤ اتصل:``).  The other words keep the order they were read in
    (their boxes may overlap, so it is not re-derived from them), and so do numbers
    in Western digits (a left-to-right run).  A number whose groups are joined by
    dashes is one word drawn in screen order; its groups are put in typed order
    (:func:`_typed_order`)."""
    def covered(w: RawWord) -> bool:
        return _covered_share(w, numbers) >= WHOLE_WORD

    kept = [w for w in line if not covered(w)]
    out = [w for w in kept if not _indic(w.text)]
    placed = [RawWord(key[0], key[1], key[2], 0, n.left, n.top, n.width, n.height,
                      round(n.confidence, 2), _render(n, extended)) for n in numbers]
    placed += [replace(w, text=_typed_order(w.text)) for w in kept if _indic(w.text)]
    for d in sorted(placed,
                    key=lambda w: -(w.left + w.width)):
        middle = d.left + d.width / 2
        at = next((j for j, w in enumerate(out) if w.left + w.width / 2 < middle), len(out))
        out.insert(at, d)
    return [RawWord(w.block, w.paragraph, w.line, i, w.left, w.top, w.width, w.height,
                    w.confidence, w.text) for i, w in enumerate(out, 1)]


def _numbers_of(reader: _Reader, grey_all: np.ndarray, line: list[RawWord]) -> list[_Number]:
    """The numbers read digit by digit that should replace words of ``line``."""
    # The band most of the line's words share: a word box stretched over the next
    # line (Tesseract does that) would join every glyph of both into one.
    y0 = max(0, int(np.median([w.top for w in line])))
    y1 = min(grey_all.shape[0], int(np.median([w.top + w.height for w in line])))
    pad = y1 - y0  # a number's first or last digits may lie outside the words read
    x0 = max(0, min(w.left for w in line) - pad)
    x1 = min(grey_all.shape[1], max(w.left + w.width for w in line) + pad)
    grey = grey_all[y0:y1, x0:x1]
    if grey.size == 0:
        return []
    ink, light = _ink(grey)
    numbers = []
    for group in _groups(_glyphs(ink)):
        probe = _Number(x0 + group[0].left, y0, group[-1].left + group[-1].width
                        - group[0].left, y1 - y0, [], 0.0, "")
        if not _suspect(probe, line):
            continue
        number = reader.number(grey, light, group, x0, y0)
        if number is not None and (len(number.values) > 1 or _over_digits(number, line)):
            numbers.append(number)  # one glyph alone may be a letter (``ع`` and ``٤``)
    if sum(len(n.values) for n in numbers) < 3:
        return []  # not a price or a phone number: leave the line as read
    return _whole_words([n for n in numbers if _doubtful(n, line)], line)


def _reads_right_to_left(line: Sequence[RawWord]) -> bool:
    """Whether the line reads right to left: its rightmost word with letters is
    right-to-left (a paragraph starts at its right), or most of its letters are (an
    English line naming a contact in Arabic keeps its order; a misread number in an
    Arabic line may come out as more Latin junk than Arabic words)."""
    lettered = [w for w in line if any(c.isalpha() for c in w.text)]
    if lettered and has_rtl(max(lettered, key=lambda w: w.left + w.width).text):
        return True
    rtl = sum(1 for w in line for c in w.text if has_rtl(c))
    other = sum(1 for w in line for c in w.text if c.isalpha() and not has_rtl(c))
    return rtl > other


def _extended_digits(words: Sequence[RawWord]) -> bool:
    """Whether the page writes Persian digits (``۰۱۲``) rather than Arabic-Indic ones
    (``٠١٢``): by the digits whose shapes differ (4, 5, 6) Tesseract read on it, else
    by letters only Persian, Urdu, Pashto or Kurdish write."""
    persian = sum(1 for w in words for c in w.text if c in _PERSIAN_ONLY)
    arabic = sum(1 for w in words for c in w.text if c in _ARABIC_ONLY)
    if persian != arabic:
        return persian > arabic
    return any(c in _EXTENDED_LETTERS for w in words for c in w.text)


def fix_indic_numbers(backend: Backend, image: Image.Image, words: list[RawWord],
                      timeout_s: float, installed: Sequence[str]) -> tuple[list[RawWord], int]:
    """Re-read the numbers of right-to-left lines digit by digit (see the module
    docstring) and put numbers in Arabic-Indic or Persian digits in the line's reading
    order; returns the words and the number of numbers replaced."""
    if DIGIT_MODEL not in installed:
        return words, 0
    lines: dict[tuple[int, int, int], list[RawWord]] = {}
    for w in words:
        lines.setdefault(_line_key(w), []).append(w)
    # Right-to-left lines only; those with a digit first (the budget of glyph reads).
    todo = sorted(((key, line) for key, line in lines.items()
                   if _candidate_line(line) and _reads_right_to_left(line)),
                  key=lambda item: not any(c.isdigit() for w in item[1] for c in w.text))
    if not todo:
        return words, 0
    grey_all = np.asarray(image.convert("L"))
    extended = _extended_digits(words)
    reader = _Reader(backend, timeout_s)
    replaced: dict[tuple[int, int, int], list[RawWord]] = {}
    count = 0
    for key, line in todo:
        numbers = _numbers_of(reader, grey_all, line)
        if numbers or any(_indic(w.text) for w in line):
            again = _put_in(line, numbers, extended, key)
            if [w.text for w in again] != [w.text for w in line]:
                replaced[key] = again  # new numbers, or numbers put in reading order
                count += len(numbers)
    if not replaced:
        return words, 0
    out: list[RawWord] = []
    done: set[tuple[int, int, int]] = set()
    for w in words:
        key = _line_key(w)
        if key in replaced:
            if key not in done:
                out.extend(replaced[key])
                done.add(key)
        else:
            out.append(w)
    return out, count
