"""Numbers and links that a line break cut in two: ``+44 7700`` / ``900123``, or
``wa.me/44770`` / ``0900123``, read as one indicator.

A join is made only when it cannot invent a number: the whole must be a valid
number (or a WhatsApp link to one) while neither part is one on its own, and the two
lines must follow each other on the page.  With the OCR word boxes that means the
next line lies below, at most about a line's height further down, in the same column
(the lines overlap and are aligned on the left, the right for right-to-left text, or
the centre).  Without boxes (notes, a text replayed without its words) only a line
ending in an unfinished international number (``+``/``00``) joins the very next line
of the same paragraph.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import phonenumbers

from workstation.reading.indicators.model import Box, Found, WordLike
from workstation.reading.indicators.phones import PHONE_RE, find_phones, is_mobile

#: How far below the first line the next may start, in line heights (a blank line
#: between paragraphs is about twice this).
MAX_LINE_GAP = 1.2

#: How far apart the aligned edges of two lines of one column may be, in line heights.
ALIGN_TOLERANCE = 1.5


_BREAK_RE = re.compile(r"[ \t]*(\n+)[ \t]*")


_LINK_HEAD_RE = re.compile(r"[0-9A-Za-z_\-./?=&%+]+")


_Edges = tuple[int, int, int, int]  # left, top, right, bottom


def _union(a: _Edges, b: _Edges) -> _Edges:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


@dataclass(frozen=True, slots=True)
class Layout:
    """The OCR words of a text, with where each lies in it (``align_words``: in order,
    none overlapping), looked up by bisection; the union of the boxes of the words
    before or after a place is kept for each."""

    words: Sequence[WordLike]
    spans: Sequence[tuple[int, int] | None]
    _starts: list[int] = field(init=False, repr=False, compare=False)
    _ends: list[int] = field(init=False, repr=False, compare=False)
    _placed: list[tuple[int, int, int]] = field(init=False, repr=False, compare=False)
    _heads: list[_Edges] = field(init=False, repr=False, compare=False)
    _tails: list[_Edges] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        placed = sorted((s[0], s[1], k) for k, s in enumerate(self.spans) if s is not None)
        edges = [self._edges(k) for _s0, _s1, k in placed]
        heads, tails = edges[:1], edges[-1:]
        for e in edges[1:]:
            heads.append(_union(heads[-1], e))
        for e in reversed(edges[:-1]):
            tails.append(_union(tails[-1], e))
        setattr_ = object.__setattr__
        setattr_(self, "_placed", placed)
        setattr_(self, "_starts", [p[0] for p in placed])
        setattr_(self, "_ends", [p[1] for p in placed])
        setattr_(self, "_heads", heads)
        setattr_(self, "_tails", tails[::-1])

    def _edges(self, k: int) -> _Edges:
        x, y, w, h = self.words[k].bbox
        return x, y, x + w, y + h

    def overlapping(self, start: int, end: int) -> list[int]:
        """The indices of the words overlapping ``text[start:end]``, in order."""
        first, last = bisect_right(self._ends, start), bisect_left(self._starts, end)
        return [k for s0, s1, k in self._placed[first:last] if s0 < end and s1 > start]

    def line_box(self, start: int, end: int) -> Box | None:
        """The union of the boxes of the words lying within ``text[start:end]``."""
        first, last = bisect_left(self._starts, start), bisect_right(self._ends, end)
        if first >= last:
            return None
        if first == 0:
            edges = self._heads[last - 1]
        elif last == len(self._placed):
            edges = self._tails[first]
        else:
            edges = self._edges(self._placed[first][2])
            for _s0, _s1, k in self._placed[first + 1:last]:
                edges = _union(edges, self._edges(k))
        left, top, right, bottom = edges
        return left, top, right - left, bottom - top

    def has_word_at(self, index: int) -> bool:
        at = bisect_right(self._starts, index) - 1
        return at >= 0 and index < self._placed[at][1]


def _follows(first: Box, second: Box) -> bool:
    """Whether line box ``second`` is the line after ``first`` in the same column."""
    height = max(first[3], second[3])
    if second[1] < first[1] + first[3] / 2:
        return False  # not below: the same row split, or a line further up
    if second[1] - (first[1] + first[3]) > MAX_LINE_GAP * height:
        return False
    left1, right1 = first[0], first[0] + first[2]
    left2, right2 = second[0], second[0] + second[2]
    if min(right1, right2) <= max(left1, left2):
        return False  # side by side: another column
    tolerance = ALIGN_TOLERANCE * height
    return (abs(left1 - left2) <= tolerance or abs(right1 - right2) <= tolerance
            or abs((left1 + right1) - (left2 + right2)) / 2 <= tolerance)


@dataclass(frozen=True, slots=True)
class _Break:
    """A line break: the line before ends at ``a_end``, the next starts at ``b_start``."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    newlines: int


def _breaks(work: str) -> list[_Break]:
    found = []
    for m in _BREAK_RE.finditer(work):
        a_start = work.rfind("\n", 0, m.start()) + 1
        b_end = work.find("\n", m.end())
        found.append(_Break(a_start, m.start(), m.end(), len(work) if b_end < 0 else b_end,
                            len(m.group(1))))
    return found


@dataclass(frozen=True, slots=True)
class _Slice:
    """Where a slice of a text, read on its own, lies in the whole (``offset``), and
    whether the lines at its edges are taken to run on to the text's edges (``open``:
    how a guessed "+" was read when the rest of the text stood masked around the two
    lines; kept so that ``verify`` reads the rows stored then again alike)."""

    offset: int = 0
    length: int = 0
    open: bool = False


def _adjacent(brk: _Break, layout: Layout | None, tail_end: int, head_start: int,
              international: bool, part: _Slice = _Slice()) -> bool:
    """Whether the two lines of ``brk`` may hold one number: by their boxes when the
    words around the break are known, else only an unfinished international number
    continued on the next line of the same paragraph."""
    at = part.offset
    if layout is not None and layout.has_word_at(at + tail_end - 1) \
            and layout.has_word_at(at + head_start):
        a_start = 0 if part.open and brk.a_start == 0 else at + brk.a_start
        b_end = sys.maxsize if part.open and brk.b_end == part.length else at + brk.b_end
        first = layout.line_box(a_start, at + brk.a_end)
        second = layout.line_box(at + brk.b_start, b_end)
        return first is not None and second is not None and _follows(first, second)
    return international and brk.newlines == 1


def join_phones(work: str, original: str, regions: Sequence[str],
                layout: Layout | None, part: _Slice = _Slice()) -> list[Found]:
    """Phone numbers whose digits continue on the next line.  ``work`` is the prepared
    text with what other phases found masked, so a part already taken (a phone valid
    on its own, a price, a link) is not joined.  ``part``: where ``work`` and
    ``original`` lie in the text ``layout`` is of, when they are a slice of it."""
    found: list[Found] = []
    for brk in _breaks(work):
        tail = None
        for m in PHONE_RE.finditer(work, brk.a_start, brk.a_end):
            tail = m
        head = PHONE_RE.match(work, brk.b_start, brk.b_end)
        if tail is None or head is None or tail.end() != brk.a_end:
            continue
        t0, t1, h0, h1 = tail.start(), tail.end(), head.start(), head.end()
        tail_text = work[t0:t1]
        international = tail_text.lstrip("(").startswith(("+", "00"))
        if not (international or tail_text.startswith("0")) or work[h0] == "+":
            continue
        if not _adjacent(brk, layout, t1, h0, international, part):
            continue
        if find_phones(tail_text, original[t0:t1], regions) or \
                find_phones(work[h0:h1], original[h0:h1], regions):
            continue  # a part is a number on its own: two numbers, or none
        joined = tail_text + " " + work[h0:h1]
        cut = t1 - t0
        for hit in find_phones(joined, original[t0:t1] + " " + original[h0:h1], regions):
            if hit.start <= 1 and cut < hit.end - 1:  # the whole tail ("(" aside), and on
                found.append(Found("phone", t0 + hit.start, h0 + hit.end - cut - 1,
                                   hit.normalized, hit.alternatives, joined=True))
    return found


#: A "1" or "4" where a "+" belongs: Tesseract reads the plus of "+90 532" as "4" or
#: "1" ("490 532", "1355 69"), the country code then being 1-3 digits and a space.
_PLUS_MISREAD_RE = re.compile(r"(?<![\w+.,\-/])[14](?=(\d{1,3}) \d)")


def misread_plus(work: str, original: str, regions: Sequence[str],
                 layout: Layout | None) -> list[Found]:
    """International mobile numbers whose "+" was read as "1" or "4" ("490 532 000 1234"
    for "+90 532 000 1234"), when read as written they are no number: with the "+"
    put back they must be a valid mobile number of at least ten digits, of a country
    among the region hints.  Only for OCR text, and each is marked for the analyst
    to confirm.

    Only the line of the guess and the next are read again, with the "+": the work is
    linear in the length of the text (lines of bounded length)."""
    found: list[Found] = []
    covered = 0  # where the last number found ends (each starts after the one before)
    for m in _PLUS_MISREAD_RE.finditer(work):
        at = m.start()
        if at < covered:
            continue
        start = work.rfind("\n", 0, at) + 1
        end = _end_of_next_line(work, at)
        fixed = work[start:at] + "+" + work[at + 1:end]
        read = original[start:end]
        hits = find_phones(fixed, read, regions) + \
            join_phones(fixed, read, regions, layout, _Slice(start, len(fixed), open=True))
        for h in hits:
            if h.start + start == at and _plausible_plus(h.normalized, m.group(1), regions):
                found.append(Found(h.kind, at, start + h.end, h.normalized, h.alternatives,
                                   joined=h.joined,
                                   note=f"\u201c+\u201d read as \u201c{original[at]}\u201d"))
                covered = max(covered, start + h.end)
    return found


def _end_of_next_line(text: str, at: int) -> int:
    """Where the line after the one holding ``text[at]`` ends (blank lines skipped)."""
    brk = _BREAK_RE.search(text, at)
    if brk is None:
        return len(text)
    end = text.find("\n", brk.end())
    return len(text) if end < 0 else end


def _plausible_plus(e164: str, code: str, regions: Sequence[str]) -> bool:
    """A number read with a guessed "+" counts only as a mobile number of ten digits or
    more whose country code is the whole first group and one of the region hints'."""
    if len(e164) < 11 or not e164.startswith("+" + code) or not is_mobile(e164):
        return False
    return any(phonenumbers.country_code_for_region(r) == int(code) for r in regions)


def join_links(prepared: str, found: Sequence[Found], layout: Layout | None,
               urls: Callable[[str], list[Found]]) -> tuple[list[Found], list[Found]]:
    """WhatsApp links cut at a line end (``wa.me/44770`` / ``0900123``): the links and
    numbers read across the break, and what they replace (the cut link, and whatever
    was read from the piece on the next line)."""
    added: list[Found] = []
    replaced: list[Found] = []
    breaks = {brk.a_end: brk for brk in _breaks(prepared)}
    has_number = {(f.start, f.end) for f in found if f.kind in ("whatsapp", "phone")}
    for url in found:
        brk = breaks.get(url.end)
        if url.kind != "url" or brk is None or not _whatsapp_link(url.normalized) \
                or any(url.start <= s and e <= url.end for s, e in has_number):
            continue
        head = _LINK_HEAD_RE.match(prepared, brk.b_start, brk.b_end)
        if head is None or not _adjacent(brk, layout, url.end, brk.b_start, True):
            continue
        joined = prepared[url.start:url.end] + head.group()
        cut = url.end - url.start
        hits = urls(joined)
        link = next((h for h in hits if h.kind == "url" and h.start == 0 and h.end > cut), None)
        numbers = [h for h in hits if h.kind == "whatsapp" and h.start < cut < h.end]
        if link is None or not numbers:
            continue
        end = brk.b_start + link.end - cut
        added.append(Found("url", url.start, end, link.normalized, joined=True))
        added.extend(Found(n.kind, url.start + n.start, brk.b_start + n.end - cut,
                           n.normalized, joined=True) for n in numbers)
        replaced.append(url)
        replaced.extend(f for f in found if brk.b_start <= f.start < end and f is not url)
    return added, replaced


def _whatsapp_link(normalized: str) -> bool:
    host = normalized.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    return host == "wa.me" or (host in ("api.whatsapp.com", "whatsapp.com",
                                        "web.whatsapp.com") and "phone=" in normalized)
