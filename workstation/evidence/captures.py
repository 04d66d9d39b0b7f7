"""Captures: the records of evidence, their metadata edits, tags, notes and thumbnails
(``ws.captures``).  The original files are never changed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.errors import NotFound, RejectedInput, WorkstationError
from workstation.evidence.cases import CaseService
from workstation.evidence.images import probe_bytes
from workstation.evidence.thumbs import (
    read_thumbnail,
    store_thumbnail,
    thumbnail_file,
    thumbnail_from_original,
)
from workstation.models import (
    EDITABLE_FIELDS,
    Capture,
)
from workstation.platforms import normalize_platform, parse_source_url
from workstation.reading.service import ReadingService
from workstation.storage.repositories import CaptureRepo
from workstation.timeutil import parse_iso


class CaptureService:
    """Read captures and change their editable metadata; every change audited and the
    derived data (indicators from notes and metadata, keyword flags, the search index)
    refreshed in the same transaction."""

    def __init__(self, ctx: Context, repo: CaptureRepo, cases: CaseService,
                 reading: ReadingService) -> None:
        self._ctx = ctx
        self._repo = repo
        self._cases = cases
        self._reading = reading

    def all(self, case: str | None = None) -> list[Capture]:
        if case is None:
            return self._repo.select()
        return self._repo.select(case_id=self._cases.get(case).id)

    def by_ids(self, ids: Iterable[int]) -> list[Capture]:
        return self._repo.select(ids=ids)

    def get(self, capture_id: int) -> Capture:
        found = self._repo.get(capture_id)
        if found is None:
            raise NotFound(f"There is no capture #{capture_id}.")
        return found

    def display_image(self, capture: Capture) -> bytes:
        """A PNG of the capture for viewers that cannot decode its format (e.g. HEIC);
        derived from the verified original, never stored."""
        import io as _io

        data = self._ctx.store.read_verified(capture.sha256)
        _info, image = probe_bytes(data, capture.width * capture.height + 1)
        out = _io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()

    def evidence_path(self, capture: Capture) -> Path:
        return self._ctx.store.path_for(capture.sha256)

    def original(self, capture: Capture) -> bytes:
        """The capture's original bytes, checked against its SHA-256 (decrypted in an
        encrypted workspace); no SQL, so safe from a loading thread."""
        return self._ctx.store.read_verified(capture.sha256)

    def read_evidence(self, capture_id: int) -> bytes:
        """The original bytes of a capture, verified against its SHA-256."""
        return self._ctx.store.read_verified(self.get(capture_id).sha256)

    def thumbnail(self, capture: Capture) -> bytes:
        """The capture's cached thumbnail (JPEG bytes, for viewing), made again from the
        verified original when missing or unreadable.  What leaves the workstation uses
        :meth:`verified_thumbnail`.  (No settings, no SQL: safe from a thumbnail-loading
        thread.)"""
        data = read_thumbnail(self._ctx, capture.sha256)
        if data is None:
            data = self.verified_thumbnail(capture)
            write_derived(self._ctx, capture.sha256, data)
        return data

    def thumbnail_path(self, capture: Capture) -> Path:
        """The file of the capture's cached thumbnail (made first when missing); encrypted
        in an encrypted workspace: read it with :meth:`thumbnail`."""
        self.thumbnail(capture)
        return thumbnail_file(self._ctx, capture.sha256)

    def verified_thumbnail(self, capture: Capture) -> bytes:
        """The capture's thumbnail made afresh from its verified original (never the cached
        file, which could have been swapped outside the application)."""
        return thumbnail_from_original(self._ctx, capture.sha256, capture.width,
                                       capture.height)

    def edit(self, capture_id: int, **changes: Any) -> Capture:
        """Change editable metadata; the old and new values go into the audit trail."""
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise WorkstationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}")
        with self._ctx.write():
            current = self.get(capture_id)
            values: dict[str, Any] = {}
            if "source_url" in changes:
                derived = source_fields(changes["source_url"], changes.get("platform"),
                                              changes.get("handle"), changes.get("content_id"))
                values["source_url"] = derived["source_url"]
                for key in ("platform", "handle", "content_id"):
                    if key in changes or getattr(current, key) is None:
                        values[key] = derived[key]
            else:
                for key in ("platform", "handle", "content_id"):
                    if key in changes:
                        derived = source_fields(None, changes.get("platform"),
                                                      changes.get("handle"),
                                                      changes.get("content_id"))
                        values[key] = derived[key]
            if "notes" in changes:
                values["notes"] = changes["notes"] or ""
            if "captured_at" in changes:
                values["captured_at"] = parse_iso(changes["captured_at"])
                values["captured_at_source"] = "analyst"
            if "case" in changes:
                values["case_id"] = self._cases.id_for(changes["case"], create=True)
            diff = {
                key: {"old": getattr(current, key), "new": value}
                for key, value in values.items() if getattr(current, key) != value
            }
            if diff:
                self._repo.update(capture_id, {k: v["new"] for k, v in diff.items()})
                self._ctx.audit.append(self._ctx.analyst, "capture.edit", f"capture:{capture_id}",
                                  {"changes": diff})
                self._reading.refresh_derived(capture_id)
        return self.get(capture_id)

    def set_notes(self, capture_id: int, text: str, *, append: bool = False) -> Capture:
        if append:
            current = self.get(capture_id).notes
            text = f"{current}\n{text}" if current else text
        return self.edit(capture_id, notes=text)

    def add_tags(self, capture_id: int, tags: Iterable[str]) -> Capture:
        clean = sorted({clean_tag(t) for t in tags})
        with self._ctx.write():
            current = set(self.get(capture_id).tags)
            added = [t for t in clean if t not in current]
            if added:
                self._repo.add_tags(capture_id, added)
                self._ctx.audit.append(self._ctx.analyst, "capture.tag", f"capture:{capture_id}",
                                  {"added": added})
                self._reading.refresh_derived(capture_id)
        return self.get(capture_id)

    def remove_tags(self, capture_id: int, tags: Iterable[str]) -> Capture:
        clean = sorted({clean_tag(t) for t in tags})
        with self._ctx.write():
            current = set(self.get(capture_id).tags)
            removed = [t for t in clean if t in current]
            if removed:
                self._repo.remove_tags(capture_id, removed)
                self._ctx.audit.append(self._ctx.analyst, "capture.untag", f"capture:{capture_id}",
                                  {"removed": removed})
                self._reading.refresh_derived(capture_id)
        return self.get(capture_id)


def source_fields(
    url: str | None, platform: str | None, handle: str | None, content_id: str | None
) -> dict[str, Any]:
    url = (url or "").strip() or None
    inferred = parse_source_url(url) if url else None
    if platform:
        try:
            platform = normalize_platform(platform)
        except ValueError as exc:
            raise RejectedInput(str(exc)) from None
    elif inferred is not None:
        platform = inferred.platform
    if handle:
        handle = handle.strip().lstrip("@") or None
    return {
        "source_url": url,
        "platform": platform or None,
        "handle": handle or (inferred.handle if inferred else None),
        "content_id": (content_id or "").strip() or (inferred.content_id if inferred else None),
    }


def write_derived(ctx: Context, sha256: str, data: bytes) -> None:
    """The thumbnail of the original ``sha256``: atomic but not fsynced (it can be made
    again); one that cannot be written is made again when needed."""
    with contextlib.suppress(OSError):
        store_thumbnail(ctx, sha256, data)


def clean_tag(tag: str) -> str:
    """A tag with runs of white space folded; refused when empty."""
    cleaned = " ".join(str(tag).split())
    if not cleaned:
        raise WorkstationError("A tag must not be empty.")
    return cleaned
