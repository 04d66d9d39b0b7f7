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

from dataclasses import dataclass, field

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
    bands: list[Band] = field(default_factory=list)  # text lines, prepared pixels


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


def median_luminance(grey: Image.Image, histogram: list[int] | None = None) -> float:
    """Median of an 8-bit grey image's pixel values (``histogram``: ``grey``'s, if known)."""
    hist = (histogram or grey.histogram())[:256]
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
    # (Counted rather than taken as the 80th percentile: the same test, 30x cheaper.)
    share = np.count_nonzero(arr[:, ::step] < 128, axis=1) / arr[:, ::step].shape[1]
    dark = share >= 0.8
    # A bold title in a header bar (white on mid-blue) leaves its middle rows only 75-80 %
    # dark, which split the bar and left the title half inverted.  A gap of up to 30
    # rows between two dark runs joins them when each of its rows is at least 60 %
    # dark and light only within one part of its width (a title beside an avatar;
    # a photo's light strokes, waves on a sea, run across the whole width).
    edges = np.flatnonzero(np.diff(dark.astype(np.int8)))
    falls, rises = edges[dark[edges]] + 1, edges[~dark[edges]] + 1  # gap starts, ends
    for a in falls:
        after = rises[rises > a]
        if after.size and after[0] - a <= 30 and _title_rows(arr[a:after[0], ::step],
                                                             share[a:after[0]]):
            dark[a:after[0]] = True
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


def _title_rows(rows: np.ndarray, share: np.ndarray) -> bool:
    """Whether rows are those of light text on a dark bar: each at least 60 % dark, its
    light pixels within 60 % of the width."""
    if not bool((share >= 0.6).all()):
        return False
    for row in rows >= 128:
        light = np.flatnonzero(row)
        if light.size and light[-1] - light[0] > 0.6 * row.size:
            return False
    return True


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


@dataclass(frozen=True)
class Band:
    """A horizontal run of rows holding text ink: rows ``y0..y1`` (exclusive), columns
    ``x0..x1`` where the ink is, ``ink`` (how many ink pixels) and ``strokes`` (ink edges
    met along a row, on average: many for a line of letters, few for an icon or a
    blob), both counted in the sampled columns."""

    y0: int
    y1: int
    x0: int
    x1: int
    ink: int
    strokes: int = 0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def text_bands(grey: Image.Image, dark_text: bool = True,
               histogram: list[int] | None = None) -> list[Band]:
    """The text lines of ``grey`` as row bands, top to bottom.

    The image is binarised (Otsu), rows holding ink are grouped into runs, and
    runs that are too thin (rules) or too tall (photos, coloured bars) are
    ignored.  Lines side by side at different heights merge into one taller
    run.  Wide images are sampled every few columns (x is in full pixels).
    ``histogram``: ``grey``'s, when the caller has it already (4 ms on a screenshot).
    """
    arr = np.asarray(grey, dtype=np.uint8)
    if arr.ndim != 2 or arr.shape[0] < 4 or arr.shape[1] < 4:
        return []
    step = arr.shape[1] // 1000 if arr.shape[1] > 1200 else 1
    if step > 1:
        arr = arr[:, ::step]
    # PIL's histogram of the whole image is several times cheaper than numpy's bincount.
    if step == 1:
        hist = np.asarray((histogram or grey.histogram())[:256], dtype=np.float64)
    else:
        hist = np.bincount(arr.ravel(), minlength=256).astype(np.float64)
    threshold = _otsu(hist)
    ink = arr <= threshold if dark_text else arr > threshold
    counts = np.count_nonzero(ink, axis=1)
    width = arr.shape[1]
    # A row is "text" when it has some ink but is not a solid band (bars, photos).
    rows = (counts >= max(2, width // 500)) & (counts <= width * 0.6)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    limit = max(8, arr.shape[0] // 4)
    bands: list[Band] = []
    for y0, y1 in zip(edges[::2], edges[1::2], strict=True):
        if not 3 <= y1 - y0 <= limit:
            continue
        sub = ink[y0:y1]
        cols = np.flatnonzero(sub.any(axis=0))
        strokes = np.count_nonzero(sub[:, 1:] != sub[:, :-1]) // (y1 - y0)
        bands.append(Band(int(y0), int(y1), int(cols[0]) * step, (int(cols[-1]) + 1) * step,
                          int(counts[y0:y1].sum()), int(strokes)))
    return bands


def estimate_line_height(grey: Image.Image, dark_text: bool = True) -> float | None:
    """Median height in pixels of the text lines of ``grey`` (:func:`text_bands`), or
    ``None`` if none is found; lines side by side merge, which errs towards not
    upscaling."""
    bands = text_bands(grey, dark_text)
    if not bands:
        return None
    return float(np.median([b.height for b in bands]))


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
    # One histogram serves the median and the text bands' threshold (inverted, it is
    # the same one reversed): each costs 4 ms on a phone screenshot.
    hist: list[int] | None = grey.histogram()[:256]
    median = median_luminance(grey, hist)
    work = to_tesseract_mode(image)
    if "greyscale" in steps:
        work = grey
        if image.mode not in ("L", "1"):
            applied.append("greyscale")
    dark = median < 128
    if "invert" in steps and dark:
        work = ImageOps.invert(work)
        grey = ImageOps.invert(grey)
        hist = hist[::-1] if hist else None
        applied.append("invert")
        dark = False
    if "invert_bands" in steps and not dark and work.mode == "L":
        work, count = invert_dark_bands(work)
        if count:
            grey = work
            hist = None
            applied.append("invert_bands")
    bands = text_bands(grey, dark_text=not dark, histogram=hist)
    line_height = float(np.median([b.height for b in bands])) if bands else None
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
    if scale != 1.0:
        bands = [Band(round(b.y0 * scale), round(b.y1 * scale), round(b.x0 * scale),
                      round(b.x1 * scale), b.ink, b.strokes) for b in bands]
    return Prepared(work, scale, applied, median, line_height, bands)


def probe_boxes(prep: Prepared, lines: int = 3, width_in_heights: float = 16.0
                ) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x, y, w, h)`` of the prepared image to read for identifying the script
    and language: the ``lines`` text bands crossing the most ink edges (lines of
    letters, not an avatar beside a name, a strip of a photo or a row of icons), most
    first, each cut to about ``width_in_heights`` times its height around its middle,
    at blank columns (between words).

    Recognition costs in proportion to the width of the text read, so a cut line
    costs a small part of a page's pass and still holds 20-30 letters; three are
    enough to tell the languages of the bench's adverts apart (the two with the
    most edges were not: they can be the Latin contacts of a Persian post).
    """
    if not prep.bands or prep.image.mode != "L":
        return []
    width, height = prep.image.size
    boxes: list[tuple[int, int, int, int]] = []
    for band in sorted(prep.bands, key=lambda b: b.strokes, reverse=True)[:lines]:
        h = band.height
        pad = max(4, h // 2)
        x0, x1 = band.x0, band.x1
        limit = round(width_in_heights * h)
        if x1 - x0 > limit:
            strip = np.asarray(prep.image.crop((0, band.y0, width, band.y1)), dtype=np.uint8)
            blank = strip.min(axis=0) > 160  # columns with no dark ink in this band
            middle = (x0 + x1) // 2
            x0 = _blank_at(blank, middle - limit // 2, -1)
            x1 = _blank_at(blank, middle + limit // 2, 1)
        left, top = max(0, x0 - pad), max(0, band.y0 - pad)
        boxes.append((left, top, min(width, x1 + pad) - left, min(height, band.y1 + pad) - top))
    return boxes


def _blank_at(blank: np.ndarray, x: int, direction: int) -> int:
    """The first blank column from ``x`` outwards in ``direction`` (-1 left, 1 right),
    or the image's edge."""
    x = max(0, min(len(blank) - 1, x))
    while 0 < x < len(blank) - 1 and not blank[x]:
        x += direction
    return x
