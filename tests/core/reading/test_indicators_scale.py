"""Indicators in long texts: a misread "+" is read again on its own two lines only, so
the work grows with the text, not with its square; the results are those of reading
the whole text with everything but the two lines masked, as before."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workstation.reading.indicators import WordBox, extract_indicators
from workstation.reading.indicators.joins import (
    _PLUS_MISREAD_RE,
    Layout,
    _end_of_next_line,
    _plausible_plus,
    join_phones,
    misread_plus,
)
from workstation.reading.indicators.model import _MASK, Found, align_words, prepare_text
from workstation.reading.indicators.phones import find_phones


def _whole_text_misread_plus(work: str, original: str, regions: Sequence[str],
                             layout: Layout | None) -> list[Found]:
    """The reading before slices: the whole text again for each guess, the rest masked."""
    found: list[Found] = []
    for m in _PLUS_MISREAD_RE.finditer(work):
        at = m.start()
        if any(f.start <= at < f.end for f in found):
            continue
        start = work.rfind("\n", 0, at) + 1
        end = _end_of_next_line(work, at)
        fixed = (_MASK * start + work[start:at] + "+" + work[at + 1:end]
                 + _MASK * (len(work) - end))
        hits = find_phones(fixed, original, regions) + \
            join_phones(fixed, original, regions, layout)
        found.extend(Found(h.kind, h.start, h.end, h.normalized, h.alternatives,
                           joined=h.joined,
                           note=f"\u201c+\u201d read as \u201c{original[at]}\u201d")
                     for h in hits
                     if h.start == at and _plausible_plus(h.normalized, m.group(1), regions))
    return found


_TOKENS = ("490", "532", "000", "12", "34", "1355", "69", "123", "4567", "4", "1", "147",
           "7700", "900123", "0532", "2019", "WhatsApp:", "call", "£", "(0)", "+44", "٤٩٠",
           "۵۳۲", "-", "/", "(", ")")

#: Pieces of numbers whose "+" was read as "4" or "1", whole or cut ("+90 532 000 12 34",
#: "+355 69 123 4567", "+964 751 234 5678", "+44 7700 900123").
_PIECES = ("490 532", "000 12 34", "490 532 000 1234", "4355 69", "123 4567",
           "4355 69 123 4567", "4964 751", "234 5678", "144 7700", "900123", "٤٩٠ ٥٣٢",
           "۰۰۰ ۱۲ ۳۴", "190 532 000 12 34")

_line = st.tuples(st.lists(st.one_of(st.sampled_from(_PIECES), st.sampled_from(_TOKENS)),
                           min_size=0, max_size=4),
                  st.sampled_from((" ", "  ", "-", "")),
                  st.integers(0, 3),  # the line's column: x = 40 + 200 * column
                  st.integers(0, 90))  # the gap above it


def _text_and_words(lines: list[tuple[list[str], str, int, int]], breaks: list[int]
                    ) -> tuple[str, list[WordBox]]:
    """The lines joined by one or two line breaks, and their words laid out in rows."""
    text, words, y = "", [], 20
    for number, (tokens, sep, column, gap) in enumerate(lines):
        if number:
            text += "\n" * breaks[number % len(breaks)]
        text += sep.join(tokens)
        y += gap + 40
        x = 40 + 200 * column
        for token in sep.join(tokens).split():
            words.append(WordBox(token, (x, y, 16 * len(token), 30), 90.0))
            x += 16 * (len(token) + 1)
    return text, words


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_line, min_size=1, max_size=8),
       breaks=st.lists(st.sampled_from((1, 1, 2)), min_size=1, max_size=4),
       regions=st.sampled_from((("TR", "GB"), ("GB", "FR", "IQ", "TR", "AL"), ("AL",))),
       with_boxes=st.booleans())
def test_the_two_line_reading_finds_what_the_whole_text_reading_found(
        lines: list[tuple[list[str], str, int, int]], breaks: list[int],
        regions: tuple[str, ...], with_boxes: bool) -> None:
    text, words = _text_and_words(lines, breaks)
    layout = Layout(words, align_words(text, words)) if with_boxes and words else None
    work = prepare_text(text)
    found = misread_plus(work, text, regions, layout)
    event("joined" if any(f.joined for f in found) else "found" if found else "none")
    assert found == _whole_text_misread_plus(work, text, regions, layout)


def test_a_long_text_is_read_in_linear_work() -> None:
    """5,000 numbers with a guessed "+" (half of them wrapped onto the next line), with
    their word boxes: each found where it is, as on its own; reading the whole text
    again for each guess (and the boxes of all words for each line) took minutes."""
    rows: list[str] = []
    for n in range(5000):
        if n % 2:
            rows += [f"Line {n} call:", f"490 532 {n % 1000:03d} 12 34"]
        else:
            rows += [f"Line {n} WhatsApp:", f"490 53{n % 10}", "000 12 34"]
    text = "\n".join(rows)
    words, y = [], 0
    for row in rows:
        y += 40
        x = 40
        for token in row.split():
            words.append(WordBox(token, (x, y, 16 * len(token), 30), 90.0))
            x += 16 * (len(token) + 1)
    found = [i for i in extract_indicators(text, ("TR", "GB"), words=words)
             if i.kind == "phone"]
    expected = [f"490 532 {n % 1000:03d} 12 34" if n % 2 else f"490 53{n % 10} 000 12 34"
                for n in range(5000)]
    assert [i.value.replace("\n", " ") for i in found] == expected
    assert [i.normalized for i in found] == ["+" + v[1:].replace(" ", "") for v in expected]
    assert all(text[i.start:i.end] == i.value for i in found)
    assert [i.attention for i in found[:2]] == [
        "\u201c+\u201d read as \u201c4\u201d; joined across lines",
        "\u201c+\u201d read as \u201c4\u201d"]
    assert found[0].box == (40, 80, 9 * 16, 70)  # both lines


@settings(max_examples=200, deadline=None)
@given(tokens=st.lists(st.text("ab1 ", min_size=1, max_size=4), max_size=12),
       places=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=2,
                       max_size=2))
def test_layout_lookups_are_those_of_every_word(tokens: list[str],
                                                 places: list[tuple[int, int]]) -> None:
    """The bisections give what looking at every word gives."""
    text = " ".join(tokens)
    words = [WordBox(t, (3 * n, 7 * (n % 4), 5 + n, 9)) for n, t in enumerate(tokens)]
    spans = align_words(text, words)
    layout = Layout(words, spans)
    start, end = sorted(places[0])
    inside = [w.bbox for w, s in zip(words, spans, strict=True)
              if s is not None and s[0] >= start and s[1] <= end]
    assert layout.line_box(start, end) == (None if not inside else (
        min(b[0] for b in inside), min(b[1] for b in inside),
        max(b[0] + b[2] for b in inside) - min(b[0] for b in inside),
        max(b[1] + b[3] for b in inside) - min(b[1] for b in inside)))
    assert layout.overlapping(start, end) == [
        k for k, s in enumerate(spans) if s is not None and s[0] < end and s[1] > start]
    for index in places[1]:
        assert layout.has_word_at(index) == any(
            s is not None and s[0] <= index < s[1] for s in spans)
