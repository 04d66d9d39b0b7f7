"""The report's previews: made from the verified original's bytes, decoded no larger than
needed (a JPEG at a reduced DCT scale), the same picture as the gallery's thumbnail."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.imagegen import make_image, make_screenshot
from workstation.errors import RejectedInput
from workstation.evidence.images import make_thumbnail, probe_bytes, working_copy
from workstation.evidence.thumbs import reduced_thumbnail


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference per channel (0-255) of two JPEGs (``b`` scaled to ``a``)."""
    first, second = _open(a).convert("RGB"), _open(b).convert("RGB")
    assert abs(first.width - second.width) <= 1 and abs(first.height - second.height) <= 1
    second = second.resize(first.size, Image.Resampling.BILINEAR)
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3


@pytest.mark.parametrize(("fmt", "width", "height"), [
    ("JPEG", 2400, 1800),  # decoded at 1/4 scale: 600 x 450, then 320 x 240
    ("JPEG", 1000, 3000),
    ("PNG", 1080, 2340),
    ("WEBP", 900, 700),
])
def test_preview_is_the_gallery_thumbnail_picture(fmt: str, width: int, height: int) -> None:
    data = (make_screenshot(width, height, seed=3) if fmt == "PNG"
            else make_image(width, height, fmt=fmt, seed=4))
    preview = reduced_thumbnail(data, width * height + 1)
    _info, image = probe_bytes(data)
    gallery = make_thumbnail(working_copy(image))  # the full decode the import makes
    shown = _open(preview)
    assert shown.format == "JPEG" and shown.mode == "RGB"
    assert max(shown.size) == 320
    assert _difference(preview, gallery) < 3  # the same picture (not the same bytes)


def test_preview_applies_exif_orientation_and_flattens_transparency() -> None:
    image = Image.new("RGB", (1600, 800), (200, 20, 20))
    image.paste((20, 20, 200), (0, 0, 800, 800))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise: blue on top
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    shown = _open(reduced_thumbnail(out.getvalue(), 1600 * 800 + 1)).convert("RGB")
    assert shown.size == (160, 320)
    top, bottom = shown.getpixel((80, 40)), shown.getpixel((80, 280))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]

    clear = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, "PNG")
    flat = _open(reduced_thumbnail(out.getvalue(), 400 * 400 + 1)).convert("RGB")
    assert flat.getpixel((100, 100)) == (255, 255, 255)  # on white, as the gallery shows it


def test_preview_refuses_what_is_not_the_recorded_image() -> None:
    data = make_image(2400, 1800, fmt="JPEG", seed=5)
    with pytest.raises(RejectedInput):
        reduced_thumbnail(data, 1000 * 1000)  # larger than recorded at import
    with pytest.raises(RejectedInput):
        reduced_thumbnail(b"%PDF-1.7 not an image", 10**6)
    with pytest.raises(RejectedInput):
        reduced_thumbnail(data[: len(data) // 3], 2400 * 1800 + 1)  # truncated
