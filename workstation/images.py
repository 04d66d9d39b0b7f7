"""Checking that an input is a complete, sane image, and making thumbnails.

Everything here reads; nothing modifies evidence.  Thumbnails are derived
files written elsewhere and can always be regenerated from the original.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from workstation.errors import RejectedInput

try:  # HEIC/HEIF from phones, when the well-kept plugin is installed.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - optional
    HEIF = False

#: Pillow format names accepted as evidence images, and the name we record.
ACCEPTED_FORMATS = {
    "PNG": "png",
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tiff",
    "HEIF": "heic",
}
DEFAULT_MAX_PIXELS = 100_000_000
THUMBNAIL_SIZE = 320


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    width: int
    height: int


def probe(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[ImageInfo, Image.Image]:
    """Open and fully decode ``path`` (first frame); return its facts and the decoded image.

    Raises :class:`RejectedInput` with a reason a person understands.
    """
    Image.init()
    # MPO (multi-picture JPEG from phones) is opened through the JPEG plugin.
    formats = [f for f in ACCEPTED_FORMATS if f in Image.OPEN]
    try:
        with warnings.catch_warnings(), open(path, "rb") as fh:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(fh, formats=formats)
            fmt = image.format or "?"
            width, height = image.size
            if width <= 0 or height <= 0:
                raise RejectedInput("image has no pixels")
            if width * height > max_pixels:
                raise RejectedInput(
                    f"image is {width}×{height} = {width * height / 1e6:.0f} megapixels, above "
                    f"the limit of {max_pixels / 1e6:.0f} MP (a possible decompression bomb)"
                )
            image.load()
            if getattr(image, "n_frames", 1) > 1:
                # Multi-frame formats read lazily from the file: keep the first frame.
                image = image.copy()
    except RejectedInput:
        raise
    except Image.DecompressionBombError:
        raise RejectedInput(
            f"image is above the limit of {max_pixels / 1e6:.0f} MP (a possible decompression bomb)"
        ) from None
    except UnidentifiedImageError:
        raise RejectedInput(
            "not an image in an accepted format (PNG, JPEG, WebP, GIF, BMP, TIFF"
            + (", HEIC" if HEIF else "")
            + ")"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        message = str(exc) or exc.__class__.__name__
        if "truncated" in message.lower() or isinstance(exc, EOFError):
            message = "image data is truncated or incomplete"
        raise RejectedInput(f"image cannot be decoded: {message}") from None
    return ImageInfo(ACCEPTED_FORMATS.get(fmt, fmt.lower()), width, height), image


def make_thumbnail(image: Image.Image, size: int = THUMBNAIL_SIZE) -> bytes:
    """A JPEG thumbnail (orientation applied) of an already-decoded image.

    The in-memory ``image`` is consumed (resized in place); the file is untouched.
    """
    ImageOps.exif_transpose(image, in_place=True)
    thumb = image
    thumb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if thumb.mode not in ("RGB", "L"):
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        rgba = thumb.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        thumb = background
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=82)
    return out.getvalue()
