"""Thumbnails: derived from the verified original, never trusted as stored.

A thumbnail on disk is a cache for the gallery.  Whatever leaves the workstation (a
pack's report) is either that file when its bytes match the SHA-256 recorded when the
import made it (:func:`recorded_thumbnail`; the hash is in ``thumbnail_hashes`` and in
the ``capture.import`` audit entry, which ``verify`` compares), or made afresh from the
original whose SHA-256 was just checked (:func:`preview_from_original`: the same
picture, decoded from the verified bytes in memory, a JPEG at a reduced scale);
``verify --thumbnails`` regenerates every stored thumbnail (:func:`thumbnail_from_original`,
as the import made it), reports one that differs (swapped or damaged outside the
application) and replaces it."""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import warnings
from pathlib import Path
from typing import Any

from PIL import Image

from workstation.context import Context
from workstation.crypto.filecrypt import FileDecryptionError
from workstation.errors import RejectedInput
from workstation.evidence.images import (
    ACCEPTED_FORMATS,
    THUMBNAIL_SIZE,
    make_thumbnail,
    probe_bytes,
    working_copy,
)
from workstation.models import Problem
from workstation.permissions import FILE_MODE, private_dir

#: The temporary names of thumbnails being written, in ``thumbs/`` itself (one folder to
#: clean when a writer was killed mid-write, not 256).
_PARTIAL = ".*.jpg.*.tmp"


def thumbnail_file(ctx: Context, sha256: str) -> Path:
    """Where the thumbnail of the original with ``sha256`` is cached."""
    return ctx.thumbs / sha256[:2] / f"{sha256}.jpg"


def store_thumbnail(ctx: Context, sha256: str, data: bytes) -> None:
    """Write a thumbnail atomically (encrypted in an encrypted workspace), not fsynced (it
    can be made again); its temporary file is staged in ``thumbs/`` (see
    :func:`clean_partial_thumbnails`)."""
    path = thumbnail_file(ctx, sha256)
    private_dir(path.parent)
    ctx.vault.write_bytes(path, data, mode=FILE_MODE, durable=False, staging=path.parent.parent)


def read_thumbnail(ctx: Context, sha256: str) -> bytes | None:
    """The cached thumbnail's bytes (decrypted), or ``None`` when there is none or it
    cannot be read (it is made again)."""
    try:
        return ctx.vault.read_bytes(thumbnail_file(ctx, sha256))
    except (OSError, FileDecryptionError):
        return None


def clean_partial_thumbnails(ctx: Context) -> None:
    """Remove the temporary files of thumbnail writes that were killed (at a writable
    open; a reader writing one meanwhile just loses that cached copy)."""
    with contextlib.suppress(OSError):
        for leftover in ctx.thumbs.glob(_PARTIAL):
            leftover.unlink(missing_ok=True)


def recorded_thumbnail(ctx: Context, sha256: str, recorded: str | None) -> bytes | None:
    """The cached thumbnail of the original with ``sha256`` if its bytes (read once) have
    the SHA-256 ``recorded`` when the import made it; else ``None`` (none recorded: a
    capture imported before 0008; a missing, swapped, damaged or regenerated-differently
    file): the caller makes the picture from the verified original instead."""
    if not recorded:
        return None
    data = read_thumbnail(ctx, sha256)
    if data is None:
        return None
    return data if hashlib.sha256(data).hexdigest() == recorded else None


def thumbnail_from_original(ctx: Context, sha256: str, width: int, height: int) -> bytes:
    """The thumbnail (JPEG) made from the original, verified against its SHA-256 first."""
    data = ctx.store.read_verified(sha256)
    _info, image = probe_bytes(data, width * height + 1)
    return make_thumbnail(working_copy(image))


def preview_from_original(ctx: Context, sha256: str, width: int, height: int) -> bytes:
    """The report's picture of a capture (JPEG, at most 320 px): made from the original,
    verified against its SHA-256 first, never from the gallery's cached file.

    Cheaper than :func:`thumbnail_from_original` (decoding the originals is most of a
    seal's work): the verified bytes are decoded from memory, and a JPEG with DCT
    scaling (1/2, 1/4 or 1/8: at least the thumbnail's size) -- the same picture,
    not byte for byte the gallery's thumbnail."""
    return reduced_thumbnail(ctx.store.read_verified(sha256), width * height + 1)


def reduced_thumbnail(data: bytes, max_pixels: int) -> bytes:
    """A JPEG thumbnail of the image in ``data`` (first frame, EXIF orientation applied),
    decoded no larger than needed; :class:`RejectedInput` if it is not an accepted image
    or has more than ``max_pixels`` pixels."""
    Image.init()
    formats = [f for f in ACCEPTED_FORMATS if f in Image.OPEN]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=formats) as image:
                if image.width * image.height > max_pixels:
                    raise RejectedInput("image is larger than recorded at import")
                if image.format in ("JPEG", "MPO"):  # at least the thumbnail's own size
                    scale = min(1.0, THUMBNAIL_SIZE / max(image.size))
                    image.draft("RGB", (math.ceil(image.width * scale),
                                        math.ceil(image.height * scale)))
                image.load()
                return make_thumbnail(working_copy(image, THUMBNAIL_SIZE))
        except RejectedInput:
            raise
        except Exception as exc:  # a damaged or hostile file can make a decoder raise anything
            raise RejectedInput(f"image cannot be decoded: {exc.__class__.__name__}") from None


def check_thumbnail(ctx: Context, row: Any) -> list[Problem]:
    """Compare a capture's stored thumbnail (if any) with one made from its original;
    a different one is reported and replaced (thumbnails are derived, never evidence)."""
    stored = read_thumbnail(ctx, row["sha256"])
    if stored is None:
        return []  # none yet (or unreadable): made from the original when first shown
    try:
        fresh = thumbnail_from_original(ctx, row["sha256"], row["width"], row["height"])
    except Exception:  # the original's own check reports an unreadable original
        return []
    if stored == fresh:
        return []
    replaced = "replaced by one made from the original"
    try:
        store_thumbnail(ctx, row["sha256"], fresh)
    except OSError as exc:
        replaced = f"could not be replaced ({exc.strerror or exc})"
    return [Problem("derived-altered",
                    f"capture #{row['id']}: its thumbnail thumbs/{row['sha256'][:2]}/"
                    f"{row['sha256']}.jpg does not match the original (changed outside the "
                    f"application); {replaced}", capture_id=row["id"])]
