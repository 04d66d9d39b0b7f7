"""Applying a redaction log to an original: decoded as the viewer shows it (first frame,
EXIF orientation applied), each box filled solid black, saved as a PNG without metadata
and with fixed settings, so the same log on the same original gives the same bytes.

:data:`METHOD` names this procedure; a change to it that changes the bytes needs a new
version (copies made before are reproduced by the version that made them)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageOps

from workstation.errors import RejectedInput
from workstation.evidence.images import probe_bytes
from workstation.redaction.model import Box, RedactionError

METHOD = "fill-black-png/1"
#: zlib level of the PNG (fixed: part of the method)
_COMPRESS_LEVEL = 6


def displayed_image(data: bytes, max_pixels: int) -> Image.Image:
    """The original's first frame as the viewer shows it (EXIF orientation applied), in
    a mode a PNG keeps: L, RGB or RGBA."""
    try:
        _info, image = probe_bytes(data, max_pixels)
    except RejectedInput as exc:
        raise RedactionError(f"The original cannot be decoded: {exc}") from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    elif image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")
    return image


def clip_boxes(boxes: Sequence[Box], size: tuple[int, int]) -> tuple[Box, ...]:
    """The boxes clipped to an image of ``size``; one of no size, or wholly outside the
    image, is refused with what is wrong with it."""
    width, height = size
    clipped = []
    for n, box in enumerate(boxes, start=1):
        if box.w <= 0 or box.h <= 0:
            raise RedactionError(f"Box {n} ({box.x},{box.y},{box.w},{box.h}) has no size; "
                                 "give a width and a height above 0.")
        x0, y0 = max(0, box.x), max(0, box.y)
        x1, y1 = min(width, box.x + box.w), min(height, box.y + box.h)
        if x1 <= x0 or y1 <= y0:
            raise RedactionError(f"Box {n} ({box.x},{box.y},{box.w},{box.h}) lies outside the "
                                 f"image ({width}×{height} pixels).")
        clipped.append(Box(x0, y0, x1 - x0, y1 - y0, box.reason, box.source))
    return tuple(clipped)


def apply_boxes(image: Image.Image, boxes: Sequence[Box]) -> bytes:
    """The PNG of ``image`` with ``boxes`` (already clipped) filled solid black."""
    out = image.copy()
    out.info = {}  # no ICC profile, text or EXIF carried into the copy
    fills: dict[str, int | tuple[int, ...]] = {"L": 0, "RGB": (0, 0, 0), "RGBA": (0, 0, 0, 255)}
    fill = fills[out.mode]
    draw = ImageDraw.Draw(out)
    for box in boxes:
        draw.rectangle((box.x, box.y, box.x + box.w - 1, box.y + box.h - 1), fill=fill)
    buffer = io.BytesIO()
    out.save(buffer, "PNG", optimize=False, compress_level=_COMPRESS_LEVEL)
    return buffer.getvalue()


def redact_bytes(original: bytes, boxes: Sequence[Box], max_pixels: int,
                 method: str = METHOD) -> tuple[bytes, tuple[Box, ...]]:
    """The redacted copy of ``original`` and the boxes as applied (clipped)."""
    if method != METHOD:
        raise RedactionError(f"This version cannot apply redaction method {method!r}.")
    if not boxes:
        raise RedactionError("Give at least one box to redact.")
    image = displayed_image(original, max_pixels)
    clipped = clip_boxes(boxes, image.size)
    return apply_boxes(image, clipped), clipped
