"""Re-reading the lines of the other direction on mixed right-to-left pages.

Tesseract orders the words of a left-to-right line (a phone number, a web address)
right to left inside an Arabic paragraph, and a combined set such as ``ara+eng``
drops or garbles Latin characters; a Latin set reads an Arabic line as
confident-looking junk.  :class:`LineRereader` cuts such lines (or runs of words
inside a line) out of the prepared image and reads them again alone, as one line,
keeping the better reading; see :mod:`workstation.reading.ocr.engine`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from workstation.reading.ocr.backends import PSM_SINGLE_LINE, Backend, RawWord
from workstation.reading.ocr.errors import OcrFailed
from workstation.reading.ocr.languages import has_rtl, is_eastern_digit, strip_bidi_controls
from workstation.reading.ocr.preprocess import Prepared
from workstation.reading.ocr.result import OcrWord

#: When a page was read with a combined set such as ``ara+eng``, its left-to-right
#: lines are read again with the Latin set alone (``eng``), and that reading is kept
#: when its mean word confidence is at least this: Tesseract picks each word's
#: language in a combined set and drops Latin characters with high confidence
#: (``+90 532 123 45 67`` read as ``+90 532 123 45 7``, ``+44 7700 900123`` as
#: ``+44 7700 3``), where ``eng`` reads them right at a lower one (70-80).
LATIN_LINE_MIN_CONFIDENCE = 50.0

#: A line read by a left-to-right set with a mean word confidence under
#: ``SUSPECT_LINE_MEAN`` or a word under ``SUSPECT_WORD`` may be right-to-left text
#: read as junk; at most ``MAX_RTL_PROBES`` such lines per image are re-read (on the
#: bench's Latin screenshots every line is over both, so none is).
SUSPECT_LINE_MEAN = 88.0
SUSPECT_WORD = 75.0
MAX_RTL_PROBES = 6

_CONTACT_RE = re.compile(r"\d.*\d.*\d|[A-Za-z0-9][./@:][A-Za-z0-9]|^\+\d")


def _looks_like_contact(words: Sequence[RawWord]) -> bool:
    """Whether words hold digits (3+), a web/e-mail address or a ``+`` number."""
    return any(_CONTACT_RE.search(w.text) for w in words) or bool(
        _CONTACT_RE.search("".join(w.text for w in words)))


def _is_rtl_word(w: RawWord) -> bool:
    """Whether ``w`` is right-to-left text: two or more right-to-left letters, or one read
    confidently (a Latin line read with an Arabic set can give a stray ``1ه``).
    Arabic-Indic and Persian digits count as such letters: numbers written with them
    follow the line's right-to-left order (``٥٦٧٨ ٢٣٤ ٧٥١ ٠٠٩٦٤ :اتصل`` on screen), so
    they are not a left-to-right run to read again and sort left to right."""
    letters = sum(1 for c in w.text if has_rtl(c) or is_eastern_digit(c))
    return letters >= 2 or (letters == 1 and w.confidence >= 70)


def _ltr_runs(line: list[RawWord], width: int) -> list[tuple[list[RawWord], int, int]]:
    """Runs of side-by-side words without right-to-left letters in a line that has some
    (left to right on the page), each with the x range it may be cut from: between
    the right-to-left words beside it."""
    ordered = sorted(line, key=lambda w: w.left)
    runs: list[tuple[list[RawWord], int, int]] = []
    current: list[RawWord] = []
    lo = 0
    for w in ordered:
        if _is_rtl_word(w):
            if current:
                runs.append((current, lo, w.left))
                current = []
            lo = w.left + w.width
        else:
            current.append(w)
    if current:
        runs.append((current, lo, width))
    return [(run, lo, hi) for run, lo, hi in runs
            if any(c.isascii() and c.isalnum() for w in run for c in w.text)]


_NUMBER_GROUP_RE = re.compile(r"^\+?[0-9]+\+?$")


def bidi_number_order(words: list[RawWord]) -> list[RawWord]:
    """The groups of a number cut from a right-to-left line, in the order they were
    typed.  In a right-to-left paragraph the Unicode bidirectional algorithm shows a
    number's space-separated groups right to left, its plus sign on the right:
    ``اتصل على +44 7700 900123`` is drawn ``900123 7700 44+ على اتصل``, so groups read
    left to right must be reversed and the plus put back in front.  A number drawn
    with its plus first (typed in a left-to-right run, after a Latin word) and
    anything that is not only digit groups are left as they are."""
    texts = [strip_bidi_controls(w.text) for w in words]
    if len(words) < 2 or not all(_NUMBER_GROUP_RE.match(t) for t in texts):
        return words
    if any(t.startswith("+") for t in texts) and not any(t.endswith("+") for t in texts):
        return words
    out = list(reversed(words))
    first = strip_bidi_controls(out[0].text)
    if first.endswith("+") and not first.startswith("+"):
        out[0] = replace(out[0], text="+" + first[:-1])
    return out


def _line_key(w: RawWord) -> tuple[int, int, int]:
    return (w.block, w.paragraph, w.line)


def _renumber(words: list[RawWord]) -> list[RawWord]:
    """Number words 1.. within each line, keeping their order."""
    out: list[RawWord] = []
    counters: dict[tuple[int, int, int], int] = {}
    for w in words:
        key = _line_key(w)
        counters[key] = counters.get(key, 0) + 1
        out.append(RawWord(w.block, w.paragraph, w.line, counters[key], w.left, w.top,
                           w.width, w.height, w.confidence, w.text))
    return out


def mean_confidence(words: Sequence[RawWord] | Sequence[OcrWord]) -> float:
    """Mean of the word confidences, 0 without words."""
    return sum(w.confidence for w in words) / len(words) if words else 0.0


class LineRereader:
    """Re-reads single lines of a prepared image with a backend."""

    def __init__(self, backend: Backend, timeout_s: float) -> None:
        self._backend = backend
        self._timeout_s = timeout_s

    def fix_rtl_lines(self, prep: Prepared, lang: str,
                       words: list[RawWord]) -> tuple[list[RawWord], int]:
        """Re-read with ``lang`` (right-to-left) the lines a left-to-right set read with low
        confidence; a reading that is mostly right-to-left letters and more confident
        replaces the line.  A Latin set reads an Arabic line as confident-looking junk
        (``325 b Lol & Gol paw``) and may still win the page on its Latin lines."""
        lines: dict[tuple[int, int, int], list[RawWord]] = {}
        for w in words:
            lines.setdefault(_line_key(w), []).append(w)
        suspects = []
        for key, line in lines.items():
            conf = mean_confidence(line)
            letters = sum(1 for w in line for c in w.text if c.isalpha())
            if letters >= 3 and (conf < SUSPECT_LINE_MEAN
                                 or min(w.confidence for w in line) < SUSPECT_WORD):
                suspects.append((conf, key, line))
        suspects.sort(key=lambda item: item[0])
        width, height = prep.image.size
        replaced: dict[tuple[int, int, int], list[RawWord]] = {}
        for conf, key, line in suspects[:MAX_RTL_PROBES]:
            x0 = min(w.left for w in line)
            y0 = min(w.top for w in line)
            x1 = max(w.left + w.width for w in line)
            y1 = max(w.top + w.height for w in line)
            pad = max(4, (y1 - y0) // 3)
            left, top = max(0, x0 - pad), max(0, y0 - pad)
            box = (left, top, min(width, x1 + pad) - left, min(height, y1 + pad) - top)
            try:
                raw = self._backend.read(prep.image, lang, PSM_SINGLE_LINE, self._timeout_s,
                                         box=box)
            except OcrFailed:
                continue
            again = [RawWord(key[0], key[1], key[2], i, w.left, w.top, w.width, w.height,
                             w.confidence, strip_bidi_controls(w.text))
                     for i, w in enumerate(raw, 1) if strip_bidi_controls(w.text).strip()]
            alpha = [c for w in again for c in w.text if c.isalpha()]
            rtl = sum(1 for c in alpha if has_rtl(c))
            if rtl < 3 or rtl < 0.75 * len(alpha) or mean_confidence(again) <= conf:
                continue
            replaced[key] = again
        if not replaced:
            return words, 0
        out: list[RawWord] = []
        for key, line in lines.items():
            out.extend(replaced.get(key, line))
        return _renumber(out), len(replaced)

    def read_line(self, prep: Prepared, box: tuple[int, int, int, int],
                   first: str | None, others: Sequence[str]) -> tuple[str, list[RawWord]] | None:
        """Read ``box`` as one left-to-right line: with ``first``, kept if confident enough
        (:data:`LATIN_LINE_MIN_CONFIDENCE`), else the most confident reading with
        ``first`` and ``others``; ``None`` if none reads (without right-to-left letters).

        Readings that differ only in their spaces count as one, read with the fewest
        breaks: ``eng`` splits ``wa.me/447700900123`` into ``wa.me/4477009001 23`` where
        ``Arabic`` does not, while a merged ``+33 612`` still names the same number.
        """
        readings: list[tuple[float, str, list[RawWord]]] = []
        for lang in dict.fromkeys([*([first] if first else []), *others]):
            try:
                raw = self._backend.read(prep.image, lang, PSM_SINGLE_LINE, self._timeout_s,
                                         box=box)
            except OcrFailed:
                continue
            words = [w for w in raw if strip_bidi_controls(w.text).strip()]
            if not words or any(has_rtl(w.text) for w in words):
                continue
            confidence = mean_confidence(words)
            if lang == first and confidence >= LATIN_LINE_MIN_CONFIDENCE:
                return lang, words
            readings.append((confidence, lang, words))
        if not readings:
            return None
        readings.sort(key=lambda r: r[0], reverse=True)

        def squeezed(words: list[RawWord]) -> str:
            return "".join("".join(w.text.split()) for w in words)

        same = [r for r in readings if squeezed(r[2]) == squeezed(readings[0][2])]
        _, lang, words = min(same, key=lambda r: len(r[2]))  # stable: best score on ties
        return lang, words

    def fix_ltr_lines(self, prep: Prepared, lang: str, words: list[RawWord],
                       companion: str | None) -> tuple[list[RawWord], int, set[str]]:
        """Re-read the left-to-right text (phone numbers, web addresses, Latin words) of a
        page with right-to-left text; returns the words, the number of lines or runs
        re-read and the language sets whose readings were kept.

        A line without right-to-left words in a right-to-left paragraph (or holding
        digits or a web address anywhere on the page) is read again alone as one line
        (Tesseract orders its words right to left inside an Arabic paragraph), with
        ``companion`` (the Latin set, e.g. ``eng``) and ``lang``, keeping the more
        confident reading, or the Latin set's if fair when ``lang`` is a combined set
        (see :data:`LATIN_LINE_MIN_CONFIDENCE`).  In a line mixing both, each run of
        left-to-right words is cut out between its right-to-left neighbours and read
        the same way.
        """
        if not any(_is_rtl_word(w) for w in words):
            return words, 0, set()
        paragraphs_rtl = {(w.block, w.paragraph) for w in words if _is_rtl_word(w)}
        lines: dict[tuple[int, int, int], list[RawWord]] = {}
        for w in words:
            lines.setdefault(_line_key(w), []).append(w)
        combined = "+" in lang and companion is not None and companion != lang
        others = [c for c in (companion, lang) if c]
        width, height = prep.image.size
        replaced: dict[int, list[RawWord]] = {}  # id of a run's first word -> new words
        dropped: set[int] = set()  # ids of the other words of replaced runs
        used: set[str] = set()
        count = 0
        for key, line in lines.items():
            rtl = [w for w in line if _is_rtl_word(w)]
            if len(rtl) == len(line):
                continue
            y0 = min(w.top for w in line)
            y1 = max(w.top + w.height for w in line)
            pad = max(4, (y1 - y0) // 3)
            top, bottom = max(0, y0 - pad), min(height, y1 + pad)
            if not rtl:
                if not (key[:2] in paragraphs_rtl or _looks_like_contact(line)):
                    continue
                if len(line) < 2 and not _looks_like_contact(line):
                    continue
                runs = [(line, 0, width)]
            else:
                runs = [(run, lo, hi) for run, lo, hi in _ltr_runs(line, width)
                        if _looks_like_contact(run) or len(run) >= 2]
            for run, lo, hi in runs:
                x0 = min(w.left for w in run)
                x1 = max(w.left + w.width for w in run)
                left, right = max(lo, x0 - pad), min(hi, x1 + pad)
                if right - left < 2 or bottom - top < 2:
                    continue
                got = self.read_line(prep, (left, top, right - left, bottom - top),
                                      companion if combined else None, others)
                if got is None:
                    continue
                used.add(got[0])
                again = sorted(got[1], key=lambda w: w.left)
                if rtl:
                    again = bidi_number_order(again)
                replaced[id(run[0])] = [
                    RawWord(key[0], key[1], key[2], i, w.left, w.top, w.width, w.height,
                            w.confidence, strip_bidi_controls(w.text))
                    for i, w in enumerate(again, 1)]
                dropped |= {id(w) for w in run[1:]}
                count += 1
        if not count:
            return words, 0, set()
        out: list[RawWord] = []
        for w in words:
            if id(w) in replaced:
                out.extend(replaced[id(w)])
            elif id(w) not in dropped:
                out.append(w)
        return _renumber(out), count, used
