"""``ws.redactions``: redacted copies of captures.

A redaction is a new derived file, ``redacted/ab/<sha256>.png``, made by filling the
boxes of its log with solid black over the verified original (:mod:`.apply`); the row
links the copy's SHA-256 to the original's and to the log's.  The newest redaction of a
capture is its current copy; each new one lists every box to apply to the *original*
(the analyst adds to or removes from the current log), so no copy is made from another.
The original is never touched.  Every redaction is audited (``capture.redact``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.crypto.filecrypt import FileDecryptionError
from workstation.errors import NotFound
from workstation.models import Capture
from workstation.permissions import FILE_MODE, private_dir
from workstation.reading.service import ReadingService
from workstation.redaction.apply import METHOD, redact_bytes
from workstation.redaction.model import (
    Box,
    Redaction,
    RedactionError,
    canonical_log,
    clean_reason,
    log_sha256,
    parse_log,
)
from workstation.redaction.suggest import Suggestions, ocr_words, suggest
from workstation.storage.redactions_repo import RedactionsRepo
from workstation.storage.repositories import CaptureRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

log = logging.getLogger(__name__)

#: The temporary names of copies being written, in ``redacted/`` itself (one folder to
#: clean when a writer was killed mid-write).
_PARTIAL = ".*.png.*.tmp"
#: The most boxes one log holds.
MAX_BOXES = 500


def copies_folder(ctx: Context) -> Path:
    return ctx.root / "redacted"


def copy_file(ctx: Context, sha256: str) -> Path:
    """Where the redacted copy with ``sha256`` is kept."""
    return copies_folder(ctx) / sha256[:2] / f"{sha256}.png"


def store_copy(ctx: Context, sha256: str, data: bytes) -> Path:
    """Write a copy atomically and durably (0600; encrypted in an encrypted workspace),
    staged in ``redacted/``."""
    path = copy_file(ctx, sha256)
    private_dir(path.parent)
    ctx.vault.write_bytes(path, data, mode=FILE_MODE, staging=copies_folder(ctx))
    return path


def redaction_of(row: sqlite3.Row) -> Redaction:
    try:
        boxes = parse_log(row["boxes"])
    except RedactionError:
        boxes = ()
    return Redaction(row["id"], row["capture_id"], row["sha256"], row["original_sha256"],
                     boxes, row["log_sha256"], row["created_at"], row["created_by"],
                     row["method"])


def remake(ctx: Context, capture: Capture, boxes: Sequence[Box],
           method: str = METHOD) -> bytes:
    """The copy that ``boxes`` applied to the verified original of ``capture`` give."""
    original = ctx.store.read_verified(capture.sha256)
    data, _clipped = redact_bytes(original, boxes, capture.width * capture.height + 1, method)
    return data


class RedactionService:
    """Make, list and read redacted copies."""

    def __init__(self, ctx: Context, repo: RedactionsRepo, captures_repo: CaptureRepo,
                 reading: ReadingService) -> None:
        self._ctx = ctx
        self._repo = repo
        self._captures = captures_repo
        self._reading = reading
        if not ctx.readonly:  # (opened for writing: we hold the lock)
            with contextlib.suppress(OSError):
                for leftover in copies_folder(ctx).glob(_PARTIAL):
                    leftover.unlink(missing_ok=True)

    def capture(self, capture_id: int) -> Capture:
        found = self._captures.get(capture_id)
        if found is None:
            raise NotFound(f"There is no capture #{capture_id}.")
        return found

    def redact(self, capture_id: int, boxes: Sequence[Box], *, reason: str = "",
               details: dict[str, Any] | None = None) -> Redaction:
        """A new redacted copy of ``capture_id``: ``boxes`` (each with its reason, else
        ``reason``) filled over the verified original; it becomes the current copy.
        ``details`` are added to its audit entry (a log received with a case bundle: who
        made it there, and when)."""
        self._ctx.check_writable()
        capture = self.capture(capture_id)
        if len(boxes) > MAX_BOXES:
            raise RedactionError(f"At most {MAX_BOXES} boxes in one redaction.")
        given = []
        for box in boxes:
            if box.source not in ("manual", "face", "ocr"):
                raise RedactionError(f"Unknown box source {box.source!r}.")
            given.append(Box(int(box.x), int(box.y), int(box.w), int(box.h),
                             clean_reason(box.reason or reason), box.source))
        original = self._ctx.store.read_verified(capture.sha256)
        data, applied = redact_bytes(original, given, capture.width * capture.height + 1)
        sha256 = hashlib.sha256(data).hexdigest()
        log = canonical_log(applied)
        log_hash = log_sha256(log)
        store_copy(self._ctx, sha256, data)
        analyst = self._ctx.analyst
        with self._ctx.write():
            row: dict[str, Any] = {
                "capture_id": capture_id, "original_sha256": capture.sha256, "sha256": sha256,
                "boxes": log, "log_sha256": log_hash, "method": METHOD,
                "created_at": utc_now(), "created_by": analyst}
            redaction_id = self._repo.insert(row)
            self._ctx.audit.append(analyst, "capture.redact", f"capture:{capture_id}", {
                "redaction": redaction_id, "sha256": sha256,
                "original_sha256": capture.sha256, "log_sha256": log_hash,
                "method": METHOD, "boxes": len(applied),
                "reasons": sorted({b.reason for b in applied}),
                "sources": sorted({b.source for b in applied}), **(details or {}),
            })
        return self.get(redaction_id)

    def suggest(self, capture_id: int, *, faces: bool = True) -> Suggestions:
        """Boxes to confirm or dismiss: faces, and the phone numbers and e-mail addresses
        OCR read (:mod:`workstation.redaction.suggest`); nothing is applied."""
        return suggest(self._ctx, self.capture(capture_id), self._reading, faces=faces)

    def ocr_words(self, capture_id: int) -> list[tuple[str, tuple[int, int, int, int]]]:
        """The current OCR run's words with their boxes as shown (to mark a name)."""
        return ocr_words(self._ctx, self.capture(capture_id), self._reading)

    def get(self, redaction_id: int) -> Redaction:
        row = self._repo.get(redaction_id)
        if row is None:
            raise NotFound(f"There is no redaction #{redaction_id}.")
        return redaction_of(row)

    def current(self, capture_id: int) -> Redaction | None:
        """The capture's current redacted copy, if it has one."""
        self.capture(capture_id)
        row = self._repo.current(capture_id)
        return redaction_of(row) if row else None

    def history(self, capture_id: int) -> list[Redaction]:
        """Every redaction of the capture, oldest first (the last is current)."""
        self.capture(capture_id)
        return [redaction_of(r) for r in self._repo.history(capture_id)]

    def current_ids(self, capture_ids: Sequence[int]) -> dict[int, int]:
        """capture id -> its current redaction's id, for those that have one."""
        return self._repo.current_ids(list(capture_ids))

    def remove_unreferenced_copy(self, sha256: str) -> None:
        """Remove the copy ``sha256`` when no redaction records it (made inside a
        transaction that was rolled back); a file that cannot be removed is left."""
        if any(row["sha256"] == sha256 for row in self._repo.all()):
            return
        with contextlib.suppress(OSError):
            copy_file(self._ctx, sha256).unlink(missing_ok=True)

    def copy_path(self, redaction: Redaction) -> Path:
        """The copy's file, made again first when missing or altered (see
        :meth:`read_copy`)."""
        self.read_copy(redaction)
        return copy_file(self._ctx, redaction.sha256)

    def read_copy(self, redaction: Redaction) -> bytes:
        """The copy's bytes, checked against its SHA-256.  A missing or altered file is
        made again from the verified original and the log, and kept, when that gives the
        recorded SHA-256; otherwise :class:`RedactionError`."""
        path = copy_file(self._ctx, redaction.sha256)
        found = "missing"
        try:
            data = self._ctx.vault.read_bytes(path)
        except FileDecryptionError:
            found = "altered (it no longer decrypts)"
        except OSError:
            pass
        else:
            if hashlib.sha256(data).hexdigest() == redaction.sha256:
                return data
            found = f"altered (SHA-256 {hashlib.sha256(data).hexdigest()})"
        capture = self.capture(redaction.capture_id)
        if capture.sha256 != redaction.original_sha256:
            raise RedactionError(f"Redaction #{redaction.id} was made from another original "
                                 f"than capture #{capture.id}'s.", how="verify")
        try:
            data = remake(self._ctx, capture, redaction.boxes, redaction.method)
        except RedactionError as exc:
            raise RedactionError(f"Redaction #{redaction.id} cannot be made again: {exc}"
                                 ) from None
        if hashlib.sha256(data).hexdigest() != redaction.sha256:
            raise RedactionError(
                f"The redacted copy #{redaction.id} of capture #{capture.id} is missing or "
                "altered, and its log applied to the original no longer gives the recorded "
                "SHA-256.", how="verify")
        if not self._ctx.readonly:
            # the only trace of a copy changed outside the application, once replaced
            log.warning("redacted copy #%s of capture #%s was %s; made again from the "
                        "original and its log", redaction.id, capture.id, found)
            with contextlib.suppress(OSError):
                store_copy(self._ctx, redaction.sha256, data)
        return data
