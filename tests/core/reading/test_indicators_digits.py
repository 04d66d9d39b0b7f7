"""Phone numbers written in Arabic-Indic (٠١٢٣٤٥٦٧٨٩) or Extended Arabic-Indic
(۰۱۲۳۴۵۶۷۸۹, Persian and Urdu) digits: read as ASCII digits for E.164, kept as written
in the value, whether the digits are mixed with Latin ones by OCR, spread over
several words, or each group wrapped in direction marks as copied from
right-to-left text (the marks are no gap between groups)."""

from __future__ import annotations

import pytest

from workstation.reading.indicators import WordBox, extract_indicators

LRM, RLM = "\u200e", "\u200f"
HINTS = ("GB", "FR", "IQ", "TR", "AL", "VN", "IR", "AF", "ER", "IT", "DE", "PK")


def _phones(text: str) -> list[tuple[str, str]]:
    return [(i.value, i.normalized) for i in extract_indicators(text, HINTS)
            if i.kind == "phone"]


@pytest.mark.parametrize(("written", "e164"), [
    ("٠٠٩٦٤ ٧٥١ ٢٣٤ ٥٦٧٨", "+9647512345678"),   # Arabic-Indic, Iraq
    ("٠٧٥١ ٢٣٤ ٥٦٧٨", "+9647512345678"),         # national, Iraq first for these digits
    ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "+989123456789"),          # Persian, Iran first
    ("۰۰۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹", "+989123456789"),
    ("۰۳۰۰ ۱۲۳۴۵۶۷", "+923001234567"),           # Urdu, Pakistan (when hinted)
    ("٠٠٩٦٤ 751 ۲۳۴ ٥٦٧٨", "+9647512345678"),    # OCR mixing the three sets
])
@pytest.mark.parametrize("marks", [False, True])
def test_numbers_in_eastern_digits(written: str, e164: str, marks: bool) -> None:
    groups = written.split(" ")
    number = " ".join(f"{LRM}{g}{RLM}" for g in groups) if marks else written
    text = f"اتصل او واتساب: {number}"
    value = number.removeprefix(LRM).removesuffix(RLM)
    assert _phones(text) == [(value, e164)]


def test_a_number_in_eastern_digits_over_several_ocr_words() -> None:
    """Each group of digits its own OCR word (right to left), each in direction marks:
    one number, its box over the four words, the lowest of their confidences."""
    groups = ("٠٠٩٦٤", "٧٥١", "٢٣٤", "٥٦٧٨")
    words = [WordBox("اتصل:", (300, 10, 80, 30), 91.0)] + [
        WordBox(f"{LRM}{g}{RLM}", (300 - 70 * n, 60, 60, 30), 95.0 - n)
        for n, g in enumerate(groups)]
    text = "اتصل:\n" + " ".join(w.text for w in words[1:])
    found = [i for i in extract_indicators(text, HINTS, words=words) if i.kind == "phone"]
    assert [(i.normalized, i.box, i.confidence) for i in found] == [
        ("+9647512345678", (90, 60, 270, 30), 92.0)]
    assert found[0].value == text[found[0].start:found[0].end]
    assert [c for c in found[0].value if c.isdigit()] == list("".join(groups))


def test_a_wide_gap_still_parts_two_numbers() -> None:
    """Marks are no gap, but spaces still are: two numbers side by side stay two."""
    assert _phones("٠٧٥١٢٣٤٥٦٧٨   ٠٧٥١٢٣٤٥٦٧٩") == [
        ("٠٧٥١٢٣٤٥٦٧٨", "+9647512345678"), ("٠٧٥١٢٣٤٥٦٧٩", "+9647512345679")]
