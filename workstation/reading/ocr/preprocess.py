"""Screenshot preprocessing before Tesseract, and the measurements that drive it.

Three steps, each applied only when the image needs it and recorded in the
result (``parameters["preprocessing"]``):

``greyscale``
    Convert to 8-bit luminance (transparent pixels composited on white).
    Tesseract binarises a grey image anyway; converting first makes the
    hand-over cheaper and gives the other steps one channel to look at.
``invert``
    Dark mode: when the median luminance is below 128 the background is dark
    and the text light, so the image is inverted.  Tesseract is trained on
    dark text on light; left alone it reads dark-mode text worse and slower.
``invert_bands``
    Coloured bars and banners (an app's header, a dark card in a light page):
    horizontal bands of rows that are at least 80% dark are inverted (and
    stretched so their background is white) so
    their light text becomes dark on light too.  Tesseract's layout analysis
    otherwise takes such bands for pictures and skips their text.
``upscale``
    Small text (shrunk or forwarded screenshots): the height of text lines
    is estimated from a horizontal ink profile, and when it is below
    ``target_line_height`` the image is enlarged (Lanczos) so lines reach it.

``bench/ocr_bench.py`` measures each step's effect on accuracy and time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from workstation.reading.ocr.config import ALL_STEPS


@dataclass
class Prepared:
    """An image ready for Tesseract: ``scale`` maps original to prepared coordinates."""

    image: Image.Image
    scale: float
    steps: list[str]
    median_luminance: float
    line_height: float | None


def to_grey(image: Image.Image) -> Image.Image:
    """8-bit luminance; alpha composited onto white, palettes and 16-bit handled."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        top = float(arr.max()) or 1.0
        return Image.fromarray(np.clip(arr * 255.0 / top, 0, 255).astype(np.uint8))
    if image.mode == "F":
        return image.convert("L")
    return image.convert("L")


def to_tesseract_mode(image: Image.Image) -> Image.Image:
    """The image in a mode Tesseract accepts (L or RGB), without other changes."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("1",):
        return image.convert("L")
    if image.mode in ("RGBA", "LA", "PA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(background, rgba).convert("RGB")
        return image.convert("RGB")
    return to_grey(image)


def median_luminance(grey: Image.Image) -> float:
    """Median of an 8-bit grey image's pixel values."""
    hist = grey.histogram()[:256]
    total = sum(hist)
    if total == 0:
        return 255.0
    half, running = total / 2.0, 0
    for value, count in enumerate(hist):
        running += count
        if running >= half:
            return float(value)
    return 255.0


def invert_dark_bands(grey: Image.Image, min_band: int = 6) -> tuple[Image.Image, int]:
    """Invert the horizontal bands (``min_band`` rows or more) whose rows have a dark
    median; returns the image and the number of bands inverted."""
    arr = np.asarray(grey, dtype=np.uint8)
    if arr.ndim != 2 or arr.size == 0:
        return grey, 0
    step = max(1, arr.shape[1] // 400)
    # A row belongs to a band when at least 80% of it is dark: a solid bar with a few
    # light letters qualifies, a row where a photo sits beside a caption does not.
    dark = np.percentile(arr[:, ::step], 80, axis=1) < 128
    bands: list[tuple[int, int]] = []
    start = None
    for y, flag in enumerate(dark):
        if flag and start is None:
            start = y
        elif not flag and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, len(dark)))
    bands = [(a, b) for a, b in bands if b - a >= min_band]
    if not bands:
        return grey, 0
    out = arr.copy()
    for a, b in bands:
        band = 255.0 - out[a:b].astype(np.float32)
        background = max(1.0, float(np.median(band)))
        # Stretch so the band's background becomes white like the rest of the page.
        out[a:b] = np.clip(band * (255.0 / background), 0, 255).astype(np.uint8)
    return Image.fromarray(out), len(bands)


def _otsu(hist: np.ndarray) -> int:
    total = hist.sum()
    if total == 0:
        return 128
    levels = np.arange(256, dtype=np.float64)
    weight_bg = np.cumsum(hist)
    weight_fg = total - weight_bg
    mean_cum = np.cumsum(hist * levels)
    mean_bg = mean_cum / np.maximum(weight_bg, 1)
    mean_fg = (mean_cum[-1] - mean_cum) / np.maximum(weight_fg, 1)
    between = weight_bg * weight_fg * (mean_bg - mean_fg) ** 2
    return int(np.argmax(between))


def estimate_line_height(grey: Image.Image, dark_text: bool = True) -> float | None:
    """Median height in pixels of the text lines of ``grey``, or ``None`` if none is found.

    The image is binarised (Otsu), rows holding ink are grouped into runs, and
    runs that are too thin (rules) or too tall (photos, coloured bars) are
    ignored.  Lines side by side at different heights merge into one taller
    run, which errs towards not upscaling.
    """
    arr = np.asarray(grey, dtype=np.uint8)
    if arr.ndim != 2 or arr.shape[0] < 4 or arr.shape[1] < 4:
        return None
    # Work on at most ~1000 px wide columns' worth of rows: subsample columns of wide images.
    if arr.shape[1] > 1200:
        arr = arr[:, :: arr.shape[1] // 1000]
    hist = np.bincount(arr.ravel(), minlength=256).astype(np.float64)
    threshold = _otsu(hist)
    ink = arr <= threshold if dark_text else arr > threshold
    counts = ink.sum(axis=1)
    width = arr.shape[1]
    # A row is "text" when it has some ink but is not a solid band (bars, photos).
    rows = (counts >= max(2, width // 500)) & (counts <= width * 0.6)
    heights: list[int] = []
    run = 0
    for flag in rows:
        if flag:
            run += 1
        elif run:
            heights.append(run)
            run = 0
    if run:
        heights.append(run)
    limit = max(8, arr.shape[0] // 4)
    heights = [h for h in heights if 3 <= h <= limit]
    if not heights:
        return None
    return float(np.median(heights))


def prepare(
    image: Image.Image,
    steps: tuple[str, ...] = ALL_STEPS,
    target_line_height: int = 24,
    max_scale: float = 4.0,
    max_pixels: int = 40_000_000,
) -> Prepared:
    """Apply the enabled ``steps`` that ``image`` needs (see the module docstring)."""
    applied: list[str] = []
    grey = to_grey(image)
    median = median_luminance(grey)
    work = to_tesseract_mode(image)
    if "greyscale" in steps:
        work = grey
        if image.mode not in ("L", "1"):
            applied.append("greyscale")
    dark = median < 128
    if "invert" in steps and dark:
        work = ImageOps.invert(work)
        grey = ImageOps.invert(grey)
        applied.append("invert")
        dark = False
    if "invert_bands" in steps and not dark and work.mode == "L":
        work, count = invert_dark_bands(work)
        if count:
            grey = work
            applied.append("invert_bands")
    line_height = estimate_line_height(grey, dark_text=not dark)
    scale = 1.0
    if "upscale" in steps and line_height is not None and line_height < target_line_height:
        scale = min(max_scale, target_line_height / line_height)
        w, h = work.size
        room = (max_pixels / max(1, w * h)) ** 0.5
        scale = min(scale, room)
        if scale >= 1.25:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            work = work.resize(size, Image.Resampling.LANCZOS)
            scale = size[0] / w
            applied.append("upscale")
        else:
            scale = 1.0
    return Prepared(work, scale, applied, median, line_height)
