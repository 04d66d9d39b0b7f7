"""Numbers written in Arabic-Indic or Persian digits, read again digit by digit
(``workstation/reading/ocr/digits.py``), with real Tesseract on real rendered text."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests import adverts
from workstation.reading.indicators import extract_indicators
from workstation.reading.ocr import ocr_image
from workstation.reading.ocr.backends import RawWord
from workstation.reading.ocr.digits import DIGIT_MODEL, _Number, _put_in
from workstation.reading.ocr.languages import installed_languages

pytestmark = pytest.mark.skipif(DIGIT_MODEL not in installed_languages(),
                                reason="Tesseract's Arabic script model is not installed")

NOTO = "/usr/share/fonts/truetype/noto/"


def _lines_image(lines: list[str], font: str, size: int = 34) -> Image.Image:
    """Right-to-left lines drawn with raqm (bidi and shaping), as a phone draws them."""
    face = ImageFont.truetype(NOTO + font, size, layout_engine=ImageFont.Layout.RAQM)
    img = Image.new("L", (900, 90 * len(lines) + 40), 255)
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((860, 30 + 90 * i), text, font=face, fill=0, anchor="ra", direction="rtl")
    return img


def _lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("lang", ["auto", "ara+eng"])
def test_the_arabic_indic_phone_number_of_an_advert_is_read_and_found(lang: str) -> None:
    """``ara_ig``: Tesseract alone reads the number as ``01۷۸ ۲۲۲ ۷۵۱۰۰۹71٤`` in screen
    order and the price ``٤٠٠٠`` as ``>٠١``; both come out right, in reading order, and
    the phone number is an indicator.  With ``ara+eng`` given, the number is read as
    more Latin junk than the line has Arabic letters; the line still reads right to
    left (its rightmost word is Arabic)."""
    result = ocr_image(adverts.advert_named("ara_ig").data, lang=lang)
    lines = _lines_of(result.text)
    assert "اتصل: ٠٠٩٦٤ ٧٥١ ٢٣٤ ٥٦٧٨" in lines
    assert any(line.startswith("السعر ٤٠٠٠ يورو") for line in lines), lines
    assert result.parameters["numbers_reread"] >= 2
    assert DIGIT_MODEL in result.languages
    phones = {i.normalized for i in extract_indicators(result.text) if i.kind == "phone"}
    assert "+9647512345678" in phones


def test_persian_digits_stay_persian() -> None:
    """``fas_fb``: the price's ``۳`` (read ``۲`` by Tesseract) is read right and written
    in Persian digits, as the page writes them."""
    result = ocr_image(adverts.advert_named("fas_fb").data)
    assert "قیمت ۳۰۰۰ پوند برای هر نفر" in _lines_of(result.text)


def test_another_font_and_what_is_left_alone() -> None:
    """Noto Sans Arabic (not the advert set's Naskh): a misread price is mended; a
    Persian number Tesseract read confidently is left as read; Western digits and a
    line without numbers are not touched."""
    img = _lines_image(["السعر ٣٥٠٠ يورو للشخص", "تماس: ۰۹۱۲ ۶۵۴ ۷۸۹۰",
                        "رحلات آمنة كل أسبوع"], "NotoSansArabic-Regular.ttf")
    lines = _lines_of(ocr_image(img).text)
    assert lines[0] == "السعر ٣٥٠٠ يورو للشخص"
    assert lines[1].replace("٩", "۹") == "تماس: ۰۹۱۲ ۶۵۴ ۷۸۹۰"
    assert lines[2] == "رحلات آمنة كل أسبوع"


def test_a_latin_number_in_an_arabic_page_keeps_western_digits() -> None:
    img = _lines_image(["للحجز راسلونا على واتساب", "السعر ٢٥٠٠ جنيه"],
                       "NotoNaskhArabic-Regular.ttf")
    phone = Image.new("L", (900, 80), 255)
    face = ImageFont.truetype(NOTO + "NotoSans-Regular.ttf", 34)
    ImageDraw.Draw(phone).text((40, 20), "+964 750 123 4567", font=face, fill=0)
    page = Image.new("L", (900, img.height + 80), 255)
    page.paste(img, (0, 0))
    page.paste(phone, (0, img.height))
    text = ocr_image(page).text
    assert "+964 750 123 4567" in text
    assert "السعر ٢٥٠٠ جنيه" in _lines_of(text)


def _w(text: str, left: int, width: int, i: int, conf: float = 90.0) -> RawWord:
    return RawWord(1, 1, 1, i, left, 10, width, 20, conf, text)


def _n(left: int, width: int, values: list[int]) -> _Number:
    return _Number(left, 10, width, 20, values, 88.0, "arabic")


def test_numbers_go_in_reading_order_after_the_word_before_them() -> None:
    """Misread groups put before ``اتصل:`` (screen order) come back right to left after
    it; a word the numbers cover only in part is kept, not lost."""
    line = [_w("OWA", 100, 60, 1), _w("Y¥%", 180, 40, 2), _w("اتصل:", 400, 80, 3)]
    out = _put_in(line, [_n(100, 60, [5, 6, 7, 8]), _n(180, 40, [2, 3, 4]),
                         _n(260, 100, [0, 0, 9, 6, 4])], False, (1, 1, 1))
    assert [w.text for w in out] == ["اتصل:", "٠٠٩٦٤", "٢٣٤", "٥٦٧٨"]
    assert [w.word for w in out] == [1, 2, 3, 4]


def test_commas_and_dashes_are_not_zeros() -> None:
    """A comma (``،``) or a dash beside a number is no zero dot: the number is left as
    Tesseract read it rather than given an invented ``٠`` (``٠٤٠٠٠``) or joined with the
    next one (``٤٥٠-٥٠٠`` as ``٥٠٠٠٤٥٠``); a price of fives and zeros is mended."""
    img = _lines_image(["السعر ٤٠٠٠، للشخص الواحد", "السعر ٤٥٠-٥٠٠ يورو",
                        "السعر ٥٠٠ يورو"], "NotoSansArabic-Regular.ttf")
    text = ocr_image(img).text
    assert "٠٤٠٠٠" not in text and "٥٠٠٠٤٥٠" not in text, text
    assert "السعر ٥٠٠ يورو" in _lines_of(text)


def test_a_dashed_number_comes_back_in_typed_order() -> None:
    """``۰۹۱۲-۶۵۴-۷۸۹۰`` in a Persian line is drawn ``۷۸۹۰-۶۵۴-۰۹۱۲`` (a dash does not
    hold Persian digits in one run) and read so by Tesseract; it is given back as
    typed.  Western digits joined by dashes are one left-to-right run: unchanged."""
    img = _lines_image(["تماس ۰۹۱۲-۶۵۴-۷۸۹۰"], "NotoSansArabic-Regular.ttf")
    assert _lines_of(ocr_image(img).text)[0].replace("٩", "۹") == "تماس ۰۹۱۲-۶۵۴-۷۸۹۰"
    line = [_w("اتصل", 400, 80, 1), _w("0770-123-4567", 100, 200, 2)]
    assert [w.text for w in _put_in(line, [], False, (1, 1, 1))] == ["اتصل", "0770-123-4567"]
