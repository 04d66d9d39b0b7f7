"""Checking that an input is a complete, sane image, and making thumbnails.

Everything here reads; nothing modifies evidence.  Thumbnails are derived
files written elsewhere and can always be regenerated from the original.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from PIL import Image, UnidentifiedImageError

from workstation.errors import RejectedInput
from workstation.settings import SETTINGS

if TYPE_CHECKING:
    from workstation.reading.reposts import RegionHash

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
#: ``config max_pixels``: the default is the settings table's.
DEFAULT_MAX_PIXELS = int(SETTINGS["max_pixels"].default)
THUMBNAIL_SIZE = 320
PDQ_SIZE = 512


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    width: int
    height: int


def probe(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[ImageInfo, Image.Image]:
    """Open and fully decode ``path`` (first frame); return its facts and the decoded image.

    Raises :class:`RejectedInput` with a reason a person understands.
    """
    with open(path, "rb") as fh:
        return probe_stream(fh, max_pixels)


def probe_bytes(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[ImageInfo, Image.Image]:
    """:func:`probe` for an image held in memory (an original read from an encrypted
    store, regenerating derived files): decoded from memory, never written to disk."""
    return probe_stream(io.BytesIO(data), max_pixels)


def probe_stream(fh: BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS
                 ) -> tuple[ImageInfo, Image.Image]:
    """:func:`probe` for an open, seekable binary stream."""
    Image.init()
    # MPO (multi-picture JPEG from phones) is opened through the JPEG plugin.
    formats = [f for f in ACCEPTED_FORMATS if f in Image.OPEN]
    try:
        with warnings.catch_warnings():
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
    except Exception as exc:  # a hostile file can make a decoder raise anything
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        if "truncated" in message.lower() or isinstance(exc, EOFError):
            message = "image data is truncated or incomplete"
        raise RejectedInput(f"image cannot be decoded: {message}") from None
    return ImageInfo(ACCEPTED_FORMATS.get(fmt, fmt.lower()), width, height), image


@dataclass(frozen=True, slots=True)
class Derived:
    """What is derived from a decoded image at import: thumbnail, perceptual hash, and
    the hashes of parts of the image that find its cropped reposts."""

    thumbnail: bytes
    pdq: str | None
    pdq_quality: int
    regions: tuple[RegionHash, ...] = ()


_ORIENTATION_STEPS = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def working_copy(image: Image.Image, size: int = PDQ_SIZE) -> Image.Image:
    """A small RGB copy (at most ``size`` px), EXIF orientation applied; the input is untouched."""
    orientation = image.getexif().get(0x0112, 1)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        try:
            image = image.convert("RGBA")
        except ValueError:
            image = image.convert("L")
    scale = min(1.0, size / max(image.size))
    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if small.mode in ("RGBA", "LA"):
        background = Image.new("RGB", small.size, (255, 255, 255))
        background.paste(small.convert("RGBA"), mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    for step in _ORIENTATION_STEPS.get(orientation, ()):
        small = small.transpose(step)
    return small


def pdq_hash(small: Image.Image) -> tuple[str | None, int]:
    """PDQ hash (64 hex digits) and quality (0-100) of an RGB image; (None, 0) if unavailable."""
    try:
        import numpy as np
        import pdqhash
    except ImportError:  # pragma: no cover - pdqhash is a declared dependency
        return None, 0
    bits, quality = pdqhash.compute(np.asarray(small))
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:064x}", int(quality)


def derive(image: Image.Image) -> Derived:
    """Thumbnail (JPEG), PDQ hash and region hashes (``reading/reposts.py``) from a
    decoded image; cheap: works on a ≤512 px copy."""
    from workstation.reading.reposts import region_hashes

    small = working_copy(image)
    pdq, quality = pdq_hash(small)
    return Derived(make_thumbnail(small), pdq, quality, tuple(region_hashes(small)))


def make_thumbnail(small: Image.Image, size: int = THUMBNAIL_SIZE) -> bytes:
    """A JPEG thumbnail of an RGB working copy (see :func:`working_copy`)."""
    thumb = small.copy()
    thumb.thumbnail((size, size), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=82)
    return out.getvalue()
