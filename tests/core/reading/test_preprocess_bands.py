"""Dark bands (app headers, dark banners) are inverted before Tesseract reads the page
(``invert_dark_bands`` in ``workstation/reading/ocr/preprocess.py``)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests import adverts
from workstation.reading.ocr import ocr_image
from workstation.reading.ocr.preprocess import invert_dark_bands, to_grey

BOLD = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"


def _header(title: str, stripes: bool = False) -> Image.Image:
    """A mid-blue header bar (luminance 126, as Telegram's) with a bold white title
    beside a round avatar; ``stripes``: light marks across the whole width instead
    (a photo's waves)."""
    img = Image.new("RGB", (1080, 400), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1080, 200), fill=(81, 137, 193))
    if stripes:
        for x in range(0, 1080, 60):  # rows 100-114 a quarter light, everywhere
            draw.rectangle((x, 100, x + 14, 114), fill="white")
    else:
        draw.ellipse((94, 90, 184, 180), fill=(240, 170, 60))
        draw.text((215, 80), title, font=ImageFont.truetype(BOLD, 34), fill="white")
    return img


def _inverted_rows(img: Image.Image) -> np.ndarray:
    grey = to_grey(img)
    out, _ = invert_dark_bands(grey)
    return np.asarray(out)[:, 5] != np.asarray(grey)[:, 5]  # a column of plain bar


def test_a_bold_title_does_not_split_its_header_bar() -> None:
    """The title's middle rows are under 80 % dark; they are inverted with the rest of
    the bar, so the title is not left half inverted (it was read ``SEC RE GE``)."""
    assert _inverted_rows(_header("Passage Rapide"))[:200].all()
    assert "Passage Rapide" in ocr_image(adverts.advert_named("fra_tg").data).text


def test_light_strokes_across_the_width_still_split_a_band() -> None:
    rows = _inverted_rows(_header("", stripes=True))
    assert rows[:90].all() and not rows[100:115].all()
