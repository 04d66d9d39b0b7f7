"""Taking evidence in: files, folders and bytes (paste, screen grab) checked, stored
byte-exact under their SHA-256 and recorded with their metadata (``ws.intake``)."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from workstation import __version__
from workstation.context import Context
from workstation.errors import RejectedInput
from workstation.evidence.captures import clean_tag, source_fields, write_derived
from workstation.evidence.cases import CaseService
from workstation.evidence.images import derive, probe
from workstation.models import (
    CaptureMeta,
    ImportResult,
)
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.service import ReadingService
from workstation.settings import get_int
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.repositories import CaptureRepo
from workstation.timeutil import from_timestamp, parse_iso, utc_now

CAPTURE_METHODS = ("import", "paste", "screen", "watch")


class Intake:
    """Imports: each file is checked (size, format, pixel count), staged, committed to
    the evidence store and recorded with its audit entry in one transaction."""

    def __init__(self, ctx: Context, captures_repo: CaptureRepo, reading_repo: ReadingRepo,
                 cases: CaseService, reading: ReadingService) -> None:
        self._ctx = ctx
        self._captures_repo = captures_repo
        self._reading_repo = reading_repo
        self._cases = cases
        self._reading = reading

    @property
    def max_pixels(self) -> int:
        return get_int(self._ctx, "max_pixels")

    @property
    def max_file_bytes(self) -> int:
        return get_int(self._ctx, "max_file_mb") * (1 << 20)

    def import_paths(
        self,
        paths: Iterable[str | Path],
        meta: CaptureMeta | None = None,
        *,
        method: str = "import",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ImportResult]:
        """Import files and folders (recursively), yielding one result per file.

        Each file is committed on its own, so stopping (cancel, Ctrl-C, crash)
        keeps every file already reported.
        """
        meta = meta or CaptureMeta()
        if meta.case:
            self._cases.check_open(meta.case)
        files = list(expand_paths(paths))
        total = len(files)
        for done, path in enumerate(files):
            if cancel is not None and cancel.cancelled:
                return
            report(progress, done, total, str(path))
            yield self.import_file(path, meta, method=method)
        report(progress, total, total)

    def import_file(
        self, path: str | Path, meta: CaptureMeta | None = None, *, method: str = "import"
    ) -> ImportResult:
        """Import one file; never raises for a bad input, returns ``rejected`` instead."""
        path = Path(path)
        display = str(path)
        try:
            st = path.stat()
            if stat.S_ISDIR(st.st_mode):
                raise RejectedInput("is a folder")
            if not stat.S_ISREG(st.st_mode):
                raise RejectedInput("is not a regular file")
            if st.st_size == 0:
                raise RejectedInput("file is empty")
            with open(path, "rb") as fh:
                return self._import_stream(
                    fh, display, path.name, st.st_mtime, meta or CaptureMeta(), method
                )
        except RejectedInput as exc:
            return ImportResult(display, "rejected", error=str(exc))
        except FileNotFoundError:
            return ImportResult(display, "rejected", error="file not found")
        except PermissionError:
            return ImportResult(display, "rejected", error="permission denied: cannot read file")
        except OSError as exc:
            return ImportResult(display, "rejected", error=f"cannot read file: {exc.strerror}")

    def import_bytes(
        self,
        data: bytes,
        meta: CaptureMeta | None = None,
        *,
        method: str = "paste",
        original_filename: str | None = None,
    ) -> ImportResult:
        """Import an image held in memory (clipboard paste, screen grab)."""
        display = original_filename or f"<{method}>"
        if not data:
            return ImportResult(display, "rejected", error="no image data")
        try:
            return self._import_stream(
                io.BytesIO(data), display, original_filename, None, meta or CaptureMeta(), method
            )
        except RejectedInput as exc:
            return ImportResult(display, "rejected", error=str(exc))

    def _import_stream(
        self,
        source: BinaryIO,
        display: str,
        original_filename: str | None,
        mtime: float | None,
        meta: CaptureMeta,
        method: str,
    ) -> ImportResult:
        if method not in CAPTURE_METHODS:
            raise ValueError(f"unknown capture method {method!r}")
        self._ctx.check_writable()
        staged = self._ctx.store.stage(source, self.max_file_bytes)
        try:
            existing = self._captures_repo.id_for_sha256(staged.sha256)
            if existing is not None:
                return ImportResult(display, "duplicate", existing, staged.sha256)
            info, image = probe(staged.path, self.max_pixels)
            derived = derive(image)
            del image
            record = self._new_record(meta, info, staged.sha256, staged.md5, staged.size,
                                      original_filename, mtime, method)
            self._ctx.store.commit(staged)
        except BaseException:
            self._ctx.store.discard(staged)
            raise
        with self._ctx.write():
            case_id = self._cases.id_for(meta.case, create=True)
            record["case_id"] = case_id
            capture_id = self._captures_repo.insert(record)
            tags = sorted({clean_tag(t) for t in meta.tags})
            self._captures_repo.add_tags(capture_id, tags)
            self._ctx.audit.append(
                self._ctx.analyst, "capture.import", f"capture:{capture_id}",
                {"record": record, "tags": tags, "case": meta.case or None, "source": display},
            )
            if derived.pdq is not None:
                self._reading_repo.set_pdq(capture_id, derived.pdq, derived.pdq_quality)
            self._reading.refresh_derived(capture_id)
        write_derived(self._ctx.thumbs / staged.sha256[:2] / f"{staged.sha256}.jpg",
                      derived.thumbnail)
        return ImportResult(display, "imported", capture_id, staged.sha256)

    def _new_record(
        self, meta: CaptureMeta, info: Any, sha256: str, md5: str, size: int,
        original_filename: str | None, mtime: float | None, method: str,
    ) -> dict[str, Any]:
        if meta.captured_at:
            captured_at, source = parse_iso(meta.captured_at), "analyst"
        elif mtime is not None and method in ("import", "watch"):
            captured_at, source = from_timestamp(mtime), "file"
        else:
            captured_at, source = utc_now(), "system"
        fields = source_fields(meta.source_url, meta.platform, meta.handle, meta.content_id)
        return {
            "sha256": sha256, "md5": md5, "size": size, "format": info.format,
            "width": info.width, "height": info.height, "captured_at": captured_at,
            "captured_at_source": source, "imported_at": utc_now(), "analyst": self._ctx.analyst,
            "capture_method": method, "original_filename": original_filename,
            **fields, "notes": meta.notes or "", "app_version": __version__,
        }


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the files inside folders named (recursively, sorted, no symlinked dirs)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirnames, filenames in os.walk(path):
                dirnames.sort()
                for name in sorted(filenames):
                    yield Path(folder) / name
        else:
            yield path
