"""A phone number typed inside a right-to-left sentence is drawn by the Unicode
bidirectional algorithm with its groups right to left and its plus on the right
(``اتصل على +44 7700 900123`` is drawn ``900123 7700 44+ على اتصل``); the OCR gives the
number back as typed, so it is found (``workstation/reading/ocr/lines.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from workstation.reading.indicators import extract_indicators
from workstation.reading.ocr import ocr_image
from workstation.reading.ocr.backends import RawWord
from workstation.reading.ocr.lines import bidi_number_order

#: A font with Arabic and Latin letters, so one line is drawn (and reordered) whole.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _page(lines: list[str]) -> Image.Image:
    face = ImageFont.truetype(str(DEJAVU), 34, layout_engine=ImageFont.Layout.RAQM)
    img = Image.new("L", (1000, 100 * len(lines) + 40), 255)
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((960, 30 + 100 * i), text, font=face, fill=0, anchor="ra", direction="rtl")
    return img


@pytest.mark.skipif(not DEJAVU.is_file(), reason="fonts-dejavu-core is not installed")
def test_numbers_typed_in_arabic_sentences_are_read_as_typed_and_found() -> None:
    lines = ["رحلات إلى بريطانيا كل أسبوع", "اتصل على +44 7700 900123 الآن",
             "واتساب +964 750 123 4567", "الحجز عبر WhatsApp +44 7700 900456"]
    result = ocr_image(_page(lines))
    text = result.text
    assert "اتصل على +44 7700 900123 الآن" in text, text
    assert "واتساب +964 750 123 4567" in text, text
    # After a Latin word the number is a left-to-right run, drawn as typed: unchanged.
    assert "WhatsApp +44 7700 900456" in text, text
    phones = {i.normalized for i in extract_indicators(text) if i.kind == "phone"}
    assert {"+447700900123", "+9647501234567", "+447700900456"} <= phones


def _words(*texts: str) -> list[RawWord]:
    return [RawWord(1, 1, 1, i, 100 * i, 0, 80, 20, 90.0, t) for i, t in enumerate(texts, 1)]


@pytest.mark.parametrize(("drawn", "typed"), [
    (("900123", "7700", "44+"), ("+44", "7700", "900123")),   # bidi order, plus on the right
    (("0123", "090", "0770"), ("0770", "090", "0123")),       # no plus: still bidi order
    (("+44", "7700", "900123"), ("+44", "7700", "900123")),   # drawn left to right
    (("wa.me/44", "7700"), ("wa.me/44", "7700")),             # not only digit groups
    (("2500",), ("2500",)),                                   # one group
])
def test_bidi_number_order(drawn: tuple[str, ...], typed: tuple[str, ...]) -> None:
    assert tuple(w.text for w in bidi_number_order(_words(*drawn))) == typed
