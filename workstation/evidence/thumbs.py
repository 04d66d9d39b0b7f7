"""Thumbnails: derived from the verified original, never trusted as stored.

A thumbnail on disk is a cache for the gallery.  Whatever leaves the workstation (a
pack's report) uses :func:`thumbnail_from_original`, made afresh from the original
whose SHA-256 was just checked; ``verify`` regenerates every stored thumbnail, reports
one that differs (swapped or damaged outside the application) and replaces it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.evidence.images import make_thumbnail, probe_bytes, working_copy
from workstation.files import atomic_write
from workstation.models import Problem


def thumbnail_file(ctx: Context, sha256: str) -> Path:
    """Where the thumbnail of the original with ``sha256`` is cached."""
    return ctx.thumbs / sha256[:2] / f"{sha256}.jpg"


def thumbnail_from_original(ctx: Context, sha256: str, width: int, height: int) -> bytes:
    """The thumbnail (JPEG) made from the original, verified against its SHA-256 first."""
    data = ctx.store.read_verified(sha256)
    _info, image = probe_bytes(data, width * height + 1)
    return make_thumbnail(working_copy(image))


def check_thumbnail(ctx: Context, row: Any) -> list[Problem]:
    """Compare a capture's stored thumbnail (if any) with one made from its original;
    a different one is reported and replaced (thumbnails are derived, never evidence)."""
    path = thumbnail_file(ctx, row["sha256"])
    try:
        stored = path.read_bytes()
    except OSError:
        return []  # none yet: made from the original when first shown
    try:
        fresh = thumbnail_from_original(ctx, row["sha256"], row["width"], row["height"])
    except Exception:  # the original's own check reports an unreadable original
        return []
    if stored == fresh:
        return []
    replaced = "replaced by one made from the original"
    try:
        atomic_write(path, fresh, mode=0o600, durable=False)  # workstation/permissions.py
    except OSError as exc:
        replaced = f"could not be replaced ({exc.strerror or exc})"
    return [Problem("derived-altered",
                    f"capture #{row['id']}: its thumbnail thumbs/{row['sha256'][:2]}/"
                    f"{row['sha256']}.jpg does not match the original (changed outside the "
                    f"application); {replaced}", capture_id=row["id"])]
