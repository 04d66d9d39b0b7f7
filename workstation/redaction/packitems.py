"""A pack item sent as its redacted copy (the analyst's choice; packs carry originals by
default): the item's evidence is the copy's bytes, its manifest entry records
``"redacted": {"sha256", "original_sha256", "log_sha256", "redaction_id"}``, its preview
is made from the copy, and what OCR read inside the boxes (words, indicators) is left out
of its text and indicators; ``pack_items.redaction_id`` records the choice."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterable, Sequence
from typing import Any

from PIL import Image

from workstation.context import Context
from workstation.evidence.thumbs import reduced_thumbnail
from workstation.models import Capture
from workstation.packs.format.spec import PackError, PackItem
from workstation.reading.service import ReadingService
from workstation.redaction.model import Redaction
from workstation.redaction.scrub import hidden_indicators, scrubbed_text
from workstation.redaction.service import RedactionService, copy_file
from workstation.storage.redactions_repo import RedactionsRepo
from workstation.storage.repositories import CaptureRepo


class PackCopies:
    """The captures of one pack that go as their current redacted copy."""

    def __init__(self, ctx: Context, reading: ReadingService, captures: Sequence[Capture],
                 redacted: Iterable[int]) -> None:
        self._ctx = ctx
        self._reading = reading
        self._service = RedactionService(ctx, RedactionsRepo(ctx.conn), CaptureRepo(ctx.conn),
                                         reading)
        in_pack = {c.id for c in captures}
        self.chosen: dict[int, Redaction] = {}
        for capture_id in dict.fromkeys(redacted):
            if capture_id not in in_pack:
                raise PackError(f"--redacted names capture #{capture_id}, which is not in the "
                                "pack; add it to the captures or drop --redacted.")
            current = self._service.current(capture_id)
            if current is None:
                raise PackError(f"Capture #{capture_id} has no redacted copy; redact it first "
                                "({how}) or send the original.",
                                how=f"redact {capture_id} --box X,Y,W,H --reason TEXT")
            self.chosen[capture_id] = current

    def record(self, pack_id: int) -> dict[str, int]:
        """Store the choice on the pack's items (in the caller's transaction); returns it
        for the ``pack.create`` audit entry (capture id -> redaction id)."""
        choice = {cid: r.id for cid, r in self.chosen.items()}
        RedactionsRepo(self._ctx.conn).set_pack_items(pack_id, choice)
        return {str(cid): rid for cid, rid in choice.items()}

    def apply(self, items: list[PackItem]) -> list[PackItem]:
        """The items, those chosen made to carry their redacted copy."""
        return [self._redacted(item, self.chosen[item.capture_id])
                if item.capture_id in self.chosen else item for item in items]

    def _redacted(self, item: PackItem, redaction: Redaction) -> PackItem:
        data = self._service.read_copy(redaction)  # checked (or made again) first
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        hidden = hidden_indicators(self._ctx, self._reading, self._service, item.capture_id,
                                   redaction.boxes)
        return dataclasses.replace(
            item, evidence_path=copy_file(self._ctx, redaction.sha256),
            sha256=redaction.sha256, md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            size=len(data), format="png", width=width, height=height,
            preview=lambda: reduced_thumbnail(data, width * height + 1),
            ocr_text=scrubbed_text(item.ocr_text, self._service, item.capture_id,
                                   redaction.boxes),
            indicators=[i for i in item.indicators if _key(i) not in hidden],
            unconfirmed=[i for i in item.unconfirmed if _key(i) not in hidden],
            redacted={"sha256": redaction.sha256, "original_sha256": redaction.original_sha256,
                      "log_sha256": redaction.log_sha256, "redaction_id": redaction.id})

def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return str(entry.get("kind")), str(entry.get("normalized"))
