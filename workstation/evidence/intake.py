"""Taking evidence in: files, folders and bytes (paste, screen grab) checked, stored
byte-exact under their SHA-256 and recorded with their metadata (``ws.intake``)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from workstation import __version__
from workstation.context import Context
from workstation.errors import DiskFull, RejectedInput
from workstation.evidence.captures import clean_tag, source_fields, write_derived
from workstation.evidence.cases import CaseService
from workstation.evidence.exhibits import ExhibitService
from workstation.evidence.images import derive, probe, probe_bytes
from workstation.evidence.store import StagedFile
from workstation.models import (
    CaptureMeta,
    ImportResult,
)
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.service import ReadingService
from workstation.settings import get_int, get_text
from workstation.storage.db import DISK_FULL, is_disk_full
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.repositories import CaptureRepo
from workstation.timeutil import from_timestamp, parse_iso, utc_now

CAPTURE_METHODS = ("import", "paste", "screen", "watch")

#: Why a file that grew or was rewritten while it was copied is refused (the watched
#: folder tries such a file again once it has settled).
FILE_CHANGED = "file changed while being read; try again"


class Intake:
    """Imports: each file is checked (size, format, pixel count), staged, committed to
    the evidence store and recorded with its audit entry in one transaction."""

    def __init__(self, ctx: Context, captures_repo: CaptureRepo, reading_repo: ReadingRepo,
                 cases: CaseService, reading: ReadingService,
                 exhibits: ExhibitService | None = None) -> None:
        self._ctx = ctx
        self._exhibits = exhibits
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
        keeps every file already reported.  A full disk stops the import with
        :class:`DiskFull` ("disk full: N imported, M not; nothing half-written").
        """
        meta = meta or CaptureMeta()
        if meta.case:
            self._cases.check_open(meta.case)
        if meta.captured_at:
            try:
                parse_iso(meta.captured_at)
            except ValueError as exc:
                raise RejectedInput(str(exc)) from None
        files = list(expand_paths(paths))
        total, imported = len(files), 0
        for done, path in enumerate(files):
            if cancel is not None and cancel.cancelled:
                return
            report(progress, done, total, str(path))
            try:
                result = self.import_file(path, meta, method=method)
            except DiskFull:
                raise DiskFull(f"{DISK_FULL}: {imported} imported, {total - imported} not; "
                               "nothing half-written. Free some space and import again "
                               "(files already imported show as duplicates).") from None
            imported += result.status == "imported"
            yield result
        report(progress, total, total)

    def import_file(
        self, path: str | Path, meta: CaptureMeta | None = None, *, method: str = "import"
    ) -> ImportResult:
        """Import one file; never raises for a bad input, returns ``rejected`` instead.

        Its size is checked before a byte is copied, and its size and modification time
        again after: a file still being written is refused (:data:`FILE_CHANGED`), never
        stored as a snapshot.  A full disk raises :class:`DiskFull`, nothing half-written.
        """
        path = Path(path)
        display = storable(str(path))
        try:
            st = path.stat()
            if stat.S_ISDIR(st.st_mode):
                raise RejectedInput("is a folder")
            if not stat.S_ISREG(st.st_mode):
                raise RejectedInput("is not a regular file")
            if st.st_size == 0:
                raise RejectedInput("file is empty")
            self._check_size(st.st_size)
            with open(path, "rb") as fh:
                before = os.fstat(fh.fileno())
                self._check_size(before.st_size)

                def unchanged(size: int) -> None:
                    after = os.fstat(fh.fileno())
                    if size != before.st_size or _signature(after) != _signature(before) \
                            or _signature(path.stat()) != _signature(before):
                        raise RejectedInput(FILE_CHANGED)

                return self._import_stream(
                    fh, display, path.name, st.st_mtime, meta or CaptureMeta(), method,
                    unchanged,
                )
        except DiskFull:
            raise
        except RejectedInput as exc:
            return ImportResult(display, "rejected", error=str(exc))
        except FileNotFoundError:
            return ImportResult(display, "rejected", error="file not found")
        except PermissionError:
            return ImportResult(display, "rejected", error="permission denied: cannot read file")
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFull(f"{DISK_FULL}: nothing half-written") from None
            return ImportResult(display, "rejected", error=f"cannot read file: {exc.strerror}")

    def _check_size(self, size: int) -> None:
        """Refuse a file above ``max_file_mb`` from its size alone, before copying it."""
        if size > self.max_file_bytes:
            raise RejectedInput(f"file is larger than the import limit of "
                                f"{self.max_file_bytes // (1 << 20)} MB")

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
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFull(f"{DISK_FULL}: nothing half-written") from None
            raise

    def _import_stream(
        self,
        source: BinaryIO,
        display: str,
        original_filename: str | None,
        mtime: float | None,
        meta: CaptureMeta,
        method: str,
        unchanged: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Stage, check, store and record one input.  Whatever fails (a bad image, a full
        disk at the copy or at the database commit, Ctrl-C) leaves neither a staged copy
        nor an evidence file that no capture references."""
        if method not in CAPTURE_METHODS:
            raise ValueError(f"unknown capture method {method!r}")
        self._ctx.check_writable()
        display = storable(display)
        original_filename = None if original_filename is None else storable(original_filename)
        store = self._ctx.store
        staged = store.stage(source, self.max_file_bytes)
        stored = False
        try:
            if unchanged is not None:
                unchanged(staged.size)
            existing = self._captures_repo.id_for_sha256(staged.sha256)
            if existing is not None:
                return ImportResult(display, "duplicate", existing, staged.sha256)
            info, derived = self._decode(staged)
            record = self._new_record(meta, info, staged.sha256, staged.md5, staged.size,
                                      original_filename, mtime, method)
            stored = True
            store.commit(staged)
            capture_id = self._record(record, meta, display, derived)
        except BaseException as exc:
            if stored:
                self._remove_if_unrecorded(staged.sha256)
            if is_disk_full(exc):
                raise DiskFull(f"{DISK_FULL}: nothing half-written") from None
            raise
        finally:
            store.discard(staged)  # a duplicate's or a refused file's copy; no-op once stored
        write_derived(self._ctx, staged.sha256, derived.thumbnail)
        return ImportResult(display, "imported", capture_id, staged.sha256)

    def _remove_if_unrecorded(self, sha256: str) -> None:
        """Remove a stored file that no capture records (its database write failed: a full
        disk).  When that cannot be checked the file is kept: an unreferenced file is
        harmless, a lost original is not."""
        try:
            recorded = self._captures_repo.id_for_sha256(sha256) is not None
        except Exception:
            return
        if not recorded:
            self._ctx.store.remove_unreferenced(sha256)

    def _decode(self, staged: StagedFile) -> tuple[Any, Any]:
        """The image's facts and what is derived from it (thumbnail, PDQ, regions);
        :class:`RejectedInput` for a file that is not a whole, decodable image.  (An
        encrypted workspace's staged file is decrypted into memory, never to disk.)"""
        store = self._ctx.store
        with warnings.catch_warnings():  # Pillow's about a damaged file: not for the user
            warnings.simplefilter("ignore")
            if store.vault.encrypted:
                info, image = probe_bytes(store.read_staged(staged), self.max_pixels)
            else:
                info, image = probe(staged.path, self.max_pixels)
            try:
                derived = derive(image)
            except Exception as exc:  # a decoded but malformed image
                raise RejectedInput(
                    f"image cannot be decoded: {exc.__class__.__name__}") from None
            del image
        return info, derived

    def _record(self, record: dict[str, Any], meta: CaptureMeta, display: str,
                derived: Any) -> int:
        """The capture's row, tags, PDQ hash and audit entry, in one transaction."""
        with self._ctx.write():
            case_id = self._cases.id_for(meta.case, create=True)
            capture_id = self._insert(record, case_id, meta.tags, derived,
                                      {"case": meta.case or None, "source": display})
            if self._exhibits is not None and get_text(self._ctx, "exhibit_at_capture") == "on":
                self._exhibits.assign_within(capture_id)
        return capture_id

    def _insert(self, record: dict[str, Any], case_id: int | None, tags: Iterable[str],
                derived: Any, details: dict[str, Any]) -> int:
        """Inside a write: the capture's row, tags, thumbnail hash, derived data and its
        ``capture.import`` entry (``details`` added to it)."""
        record["case_id"] = case_id
        capture_id = self._captures_repo.insert(record)
        cleaned = sorted({clean_tag(t) for t in tags})
        self._captures_repo.add_tags(capture_id, cleaned)
        # The thumbnail's hash: sealing uses the cached file as the report's preview
        # only while its bytes still match it (workstation/packs/compose.py).
        thumbnail_sha256 = hashlib.sha256(derived.thumbnail).hexdigest()
        self._captures_repo.set_thumbnail_hash(capture_id, thumbnail_sha256)
        self._ctx.audit.append(
            self._ctx.analyst, "capture.import", f"capture:{capture_id}",
            {"record": record, "tags": cleaned, **details,
             "thumbnail_sha256": thumbnail_sha256},
        )
        if derived.pdq is not None:
            self._reading_repo.set_pdq(capture_id, derived.pdq, derived.pdq_quality)
        self._reading.store_regions(capture_id, derived.regions)
        self._reading.refresh_derived(capture_id)
        return capture_id

    # ------------------------------------------------- captures from another workspace
    def stage_received(self, source: BinaryIO, sha256: str) -> Received:
        """Stage and decode a capture's original received from another workspace
        (:mod:`workstation.exchange`): its bytes must hash to ``sha256``.  Nothing is
        recorded: :meth:`record_received` does, inside the caller's write; then
        :meth:`finish_received` (or :meth:`discard_received` when the write failed)."""
        self._ctx.check_writable()
        staged = self._ctx.store.stage(source, max(self.max_file_bytes, 1 << 34))
        try:
            if staged.sha256 != sha256:
                raise RejectedInput(f"the original's bytes hash to {staged.sha256}, not "
                                    f"{sha256}")
            info, derived = self._decode(staged)
        except BaseException:
            self._ctx.store.discard(staged)
            raise
        return Received(staged, derived, {
            "md5": staged.md5, "size": staged.size, "format": info.format,
            "width": info.width, "height": info.height})

    def record_received(self, received: Received, record: dict[str, Any],
                        case_id: int, tags: Iterable[str], details: dict[str, Any]) -> int:
        """Inside the caller's write: store the staged original and record it as
        ``record`` says (the sender's metadata, kept as it was), audited with
        ``details`` (where it came from)."""
        self._ctx.store.commit(received.staged)
        received.stored = True
        return self._insert(dict(record), case_id, tags, received.derived, details)

    def finish_received(self, received: Received) -> None:
        """After the write committed: the gallery's thumbnail."""
        sha256 = received.staged.sha256
        write_derived(self._ctx, sha256, received.derived.thumbnail)

    def discard_received(self, received: Received) -> None:
        """After the write failed: no staged copy, and no stored original that no
        capture records."""
        self._ctx.store.discard(received.staged)
        if received.stored:
            self._remove_if_unrecorded(received.staged.sha256)

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


@dataclass(slots=True)
class Received:
    """A capture's original from another workspace, staged and decoded, not yet
    recorded (:meth:`Intake.stage_received`)."""

    staged: StagedFile
    derived: Any
    #: what the bytes themselves say: md5, size, format, width, height
    facts: dict[str, Any]
    stored: bool = False


def storable(name: str) -> str:
    """A file name as text the database can hold: the bytes of a name that is not UTF-8
    (Python's surrogate escapes) are kept as ``\\xff`` escapes."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no file name's bytes give
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes when a file is written to or replaced: size, mtime, inode, device."""
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


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
