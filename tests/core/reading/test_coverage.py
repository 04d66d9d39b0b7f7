"""Coverage tests: text the recognition pass skipped is found, read again or reported.

The detector's tests draw lines, banners, photos and icons with Pillow and check
the regions found against where things were drawn.  The engine's tests run real
Tesseract on rendered adverts: a page where Tesseract's own pass drops the Arabic
headline (checked first, so the test fails loudly if the scenario stops
reproducing), white banner text on a yellow band, and random pen strokes that
nothing can read.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.adverts import line_cer
from tests.ocr_images import ARABIC_FONT, LATIN_BOLD, LATIN_FONT, NOTO, Line, plain_image
from workstation.reading.ocr import OcrConfig, ocr_image
from workstation.reading.ocr.backends import RawWord, make_backend
from workstation.reading.ocr.coverage import check_coverage, find_text_regions
from workstation.reading.ocr.preprocess import prepare
from workstation.reading.ocr.rereads import insert_lines

Box = tuple[int, int, int, int]

HEADLINE = "رحلات إلى بريطانيا كل أسبوع، آمنة ومضمونة"
ARABIC_POST = (HEADLINE, "السعر 3000 جنيه للشخص", "واتساب +44 7700 900123",
               "الأطفال مجانا والدفع عند الوصول")
ENGLISH_POST = ("Boat to UK every week from Dunkirk", "Price 2500 per person",
                "Call or WhatsApp now")


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(NOTO / name), size)


def _post(lines: Sequence[str], size: int = 30, banner: str = "",
          banner_colour: tuple[int, int, int] = (255, 193, 7),
          strokes: bool = False, width: int = 720) -> tuple[Image.Image, dict[str, Box]]:
    """A phone post: status bar, app header, author, an optional banner (white bold text
    on a coloured band), the lines (Arabic right-aligned in Noto Naskh), optional random
    pen strokes under them; returns the image and each drawn thing's box."""
    image = Image.new("RGB", (width, 1400), "white")
    draw = ImageDraw.Draw(image)
    boxes: dict[str, Box] = {}

    def text(x: int, y: int, value: str, font: ImageFont.FreeTypeFont,
             fill: tuple[int, int, int], right: bool = False) -> int:
        rtl = any("\u0600" <= c <= "\u06ff" for c in value)
        kwargs = {"direction": "rtl", "language": "ar"} if rtl else {}
        left, top, r, b = (round(v) for v in draw.textbbox(
            (0, 0), value, font=font, **kwargs))  # type: ignore[arg-type]
        if right:
            x -= r - left
        draw.text((x - left, y - top), value, font=font, fill=fill,
                  **kwargs)  # type: ignore[arg-type]
        boxes[value] = (x, y, r - left, b - top)
        return b - top

    text(20, 8, "12:30", _font(LATIN_BOLD, 22), (5, 5, 5))
    for i in range(3):
        draw.rectangle((width - 90 + i * 22, 14, width - 76 + i * 22, 30), fill=(5, 5, 5))
    draw.rectangle((0, 44, width, 124), fill=(24, 119, 242))
    text(24, 62, "Groups", _font(LATIN_BOLD, 32), (255, 255, 255))
    draw.ellipse((20, 144, 80, 204), fill=(120, 160, 200))
    text(100, 148, "Safar Group", _font(LATIN_BOLD, 24), (5, 5, 5))
    y = 224
    if banner:
        draw.rectangle((0, y, width, y + 70), fill=banner_colour)
        font = _font(LATIN_BOLD, 34)
        left, top, r, b = draw.textbbox((0, 0), banner, font=font)
        text((width - round(r - left)) // 2, y + (70 - round(b - top)) // 2, banner, font,
             (255, 255, 255))
        y += 90
    for value in lines:
        rtl = any("\u0600" <= c <= "\u06ff" for c in value)
        font = _font(ARABIC_FONT if rtl else LATIN_FONT, size)
        height = text(width - 24 if rtl else 24, y, value, font, (5, 5, 5), right=rtl)
        y += height + int(size * 0.6)
    if strokes:
        box = (60, y + 10, 420, 34)
        _scribble(draw, box, seed=1)
        boxes["strokes"] = box
        y += 60
    return image.crop((0, 0, width, y + 30)), boxes


def _scribble(draw: ImageDraw.ImageDraw, box: Box, seed: int) -> None:
    """Random pen strokes across ``box``, spaced like handwriting: ink no model reads."""
    rnd = random.Random(seed)
    x, y, w, h = box
    cx = x
    while cx < x + w - 14:
        points = [(cx + rnd.randrange(0, 14), y + rnd.randrange(0, h)) for _ in range(4)]
        draw.line(points, fill=(5, 5, 5), width=3)
        cx += rnd.randrange(14, 26)


def _near(found: Box, drawn: Box, slack: int) -> bool:
    """Whether ``found`` has its edges within ``slack`` pixels of ``drawn``'s."""
    fx, fy, fw, fh = found
    dx, dy, dw, dh = drawn
    return (abs(fx - dx) <= slack and abs(fy - dy) <= slack
            and abs(fx + fw - dx - dw) <= slack and abs(fy + fh - dy - dh) <= slack)


def _text(words: Sequence[RawWord]) -> str:
    """Lines of ``words`` (one per block/paragraph/line), as the engine lays text out."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    for w in words:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w.text)
    return "\n".join(" ".join(v) for v in lines.values())


def _word(text: str, x: int, y: int, key: tuple[int, int, int], w: int = 60,
          h: int = 20) -> RawWord:
    return RawWord(key[0], key[1], key[2], 1, x, y, w, h, 90.0, text)


# -- the detector -------------------------------------------------------------------------


def test_regions_are_found_where_lines_were_drawn() -> None:
    rows = [[Line("Safe crossing to the UK every week")],
            [Line(HEADLINE, ARABIC_FONT, 40, rtl=True)],
            [Line("+44 7700 900123")]]
    image, boxes = plain_image(rows)
    regions = find_text_regions(image)
    assert len(regions) == len(rows), regions
    for piece, drawn in boxes.items():
        assert any(_near(r, drawn, 8) for r in regions), (piece, drawn, regions)


def test_banner_text_is_a_region_and_its_band_is_not() -> None:
    image, boxes = _post([], banner="CALAIS -> DOVER")
    regions = find_text_regions(image)
    drawn = boxes["CALAIS -> DOVER"]
    assert any(_near(r, drawn, 6) for r in regions), (drawn, regions)
    band_top, band_bottom = 224, 294
    inside = [r for r in regions if r[1] < band_bottom and r[1] + r[3] > band_top]
    assert len(inside) == 1 and inside[0][3] < 50, inside  # the text's height, not the band's


def test_lines_in_a_message_bubble_are_found_apart_from_its_sides() -> None:
    image = Image.new("RGB", (900, 420), (214, 228, 200))  # a Telegram chat background
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 30, 860, 390), radius=28, fill="white")
    font = _font(LATIN_FONT, 34)
    drawn = []
    for i, value in enumerate(ENGLISH_POST):
        left, top, right, bottom = (round(v) for v in draw.textbbox((0, 0), value, font=font))
        y = 70 + i * 100
        draw.text((76 - left, y - top), value, font=font, fill=(5, 5, 5))
        drawn.append((76, y, right - left, bottom - top))
    regions = find_text_regions(image)
    assert len(regions) == len(drawn), regions
    for box in drawn:
        assert any(_near(r, box, 6) for r in regions), (box, regions)


def test_photo_waves_icons_and_rules_are_not_text() -> None:
    image = Image.new("RGB", (900, 700), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 900, 400), fill=(30, 90, 140))  # sea
    for row in range(6):  # waves, as in the adverts' photos
        for x0 in range(-(row * 40) % 160, 900, 160):
            draw.arc((x0, 40 + row * 55, x0 + 120, 70 + row * 55), 200, 340,
                     fill=(230, 240, 250), width=3)
    draw.ellipse((40, 450, 120, 530), fill=(120, 160, 200))  # an avatar
    for i in range(3):  # status icons
        draw.rectangle((700 + i * 30, 460, 720 + i * 30, 480), fill=(0, 0, 0))
    draw.line((0, 600, 900, 600), fill=(200, 200, 200), width=3)  # a rule
    assert find_text_regions(image) == []
    assert find_text_regions(image, line_height=30) == []


def test_recovered_lines_go_where_they_are_on_the_page() -> None:
    words = [_word("first", 10, 10, (1, 1, 1)), _word("third", 10, 90, (1, 1, 2)),
             _word("last", 10, 200, (2, 1, 1))]
    between = [_word("second", 10, 50, (1, 1, 1))]
    beside = [_word("again", 120, 12, (1, 1, 1))]
    below = [_word("footer", 10, 300, (1, 1, 1))]
    out = insert_lines(words, [between, beside, below])
    assert _text(out) == "first again\nsecond\nthird\nlast\nfooter"
    keys = [(w.block, w.paragraph, w.line, w.word) for w in out]
    # "second" joins the paragraph it sits in; "footer" is a block of its own.
    assert keys == [(1, 1, 1, 1), (1, 1, 1, 2), (1, 1, 2, 1), (1, 1, 3, 1), (2, 1, 1, 1),
                    (3, 1, 1, 1)]
    assert insert_lines(words, []) == words


# -- the engine, real Tesseract -------------------------------------------------------------


def test_a_dropped_arabic_headline_is_read_again() -> None:
    image, boxes = _post(ARABIC_POST, size=44, width=800)
    assert boxes[HEADLINE][0] > 20  # drawn whole, well inside the image
    backend = make_backend()
    prep = prepare(image)
    # The scenario of the issue: Tesseract's own pass leaves the headline out, with the
    # Arabic model, the script model and ara+eng alike.
    for lang in ("ara", "ara+eng"):
        plain = [w for w in backend.read(prep.image, lang, 3, 60) if w.text.strip()]
        assert line_cer(_text(plain), HEADLINE) > 0.4, _text(plain)
    checked = check_coverage(backend, image, prep.image.size, plain, ["ara", "eng"], 60)
    text = _text(checked.words)
    assert line_cer(text, HEADLINE) <= 0.2, text
    assert checked.reread >= 1 and checked.coverage >= 0.99
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if line_cer(ln, HEADLINE) <= 0.2)
    price = next(i for i, ln in enumerate(lines) if "جنيه" in ln)
    assert at < price, text  # in its place: above the price line
    result = ocr_image(image, "ara")
    assert line_cer(result.text, HEADLINE) <= 0.2, result.text
    assert result.parameters["coverage"]["reread"] >= 1


@pytest.mark.parametrize("banner", ["UK 100% SAFE", "CALAIS -> DOVER"])
def test_white_banner_text_on_a_yellow_band_is_read(banner: str) -> None:
    image, _ = _post(ENGLISH_POST, banner=banner)
    result = ocr_image(image, "eng")
    assert line_cer(result.text, banner) <= 0.15, result.text
    for line in ENGLISH_POST:
        assert line_cer(result.text, line) <= 0.1, result.text
    assert result.coverage is not None and result.coverage >= 0.99


def test_a_clean_page_is_fully_covered() -> None:
    image, _ = _post(ENGLISH_POST)
    result = ocr_image(image, "eng")
    assert result.coverage is not None and result.coverage >= 0.99
    assert result.unread == []
    assert result.parameters["coverage"]["unread"] == 0
    assert result.parameters["coverage"]["regions"] >= len(ENGLISH_POST)


@pytest.mark.parametrize("shrink", [1.0, 0.45])
def test_unreadable_strokes_are_unread_and_lower_the_confidence(shrink: float) -> None:
    clean_image, _ = _post(ENGLISH_POST)
    image, boxes = _post(ENGLISH_POST, strokes=True)
    drawn = boxes["strokes"]
    if shrink != 1.0:  # small text: the engine upscales, boxes come back in these pixels
        size = (round(image.width * shrink), round(image.height * shrink))
        image = image.resize(size, Image.Resampling.LANCZOS)
        clean_image = clean_image.resize((size[0], round(clean_image.height * shrink)),
                                         Image.Resampling.LANCZOS)
        drawn = (round(drawn[0] * shrink), round(drawn[1] * shrink),
                 round(drawn[2] * shrink), round(drawn[3] * shrink))
    clean = ocr_image(clean_image, "eng")
    result = ocr_image(image, "eng")
    if shrink != 1.0:
        assert result.parameters["scale"] > 1.2  # the boxes really were mapped back
    assert any(_near(box, drawn, round(12 * shrink) + 4) for box in result.unread), (
        drawn, result.unread)
    assert result.coverage is not None and result.coverage < 0.97
    assert result.mean_confidence < clean.mean_confidence - 3
    assert result.parameters["coverage"]["unread"] == len(result.unread)
    for line in ENGLISH_POST:
        assert line_cer(result.text, line) <= 0.1, result.text


def test_coverage_and_unread_survive_the_json_form() -> None:
    image, _ = _post(ENGLISH_POST, strokes=True)
    result = ocr_image(image, "eng", OcrConfig())
    again = type(result).from_dict(result.to_dict())
    assert again.unread == result.unread and again.unread
    assert again.coverage == pytest.approx(result.coverage, abs=1e-4)
