"""A pack item sent as its redacted copy (the analyst's choice; packs carry originals by
default): the item's evidence is the copy's bytes, its manifest entry records
``"redacted": {"sha256", "original_sha256", "log_sha256", "redaction_id"}``, its preview
is made from the copy, and what OCR read inside the boxes (words, indicators) is left out
of its text and indicators; ``pack_items.redaction_id`` records the choice."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from PIL import Image

from workstation.context import Context
from workstation.evidence.thumbs import reduced_thumbnail
from workstation.models import Capture
from workstation.packs.format.spec import PackError, PackItem
from workstation.reading.service import ReadingService
from workstation.redaction.model import Box, Redaction
from workstation.redaction.service import RedactionService, copy_file
from workstation.redaction.suggest import orientation_of, shown_box
from workstation.storage.redactions_repo import RedactionsRepo
from workstation.storage.repositories import CaptureRepo

#: What stands in the OCR text for a word inside a redaction box.
REDACTED_WORD = "[redacted]"


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
                                f"(`workstation redact {capture_id} --box X,Y,W,H --reason "
                                "TEXT`) or send the original.")
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
        hidden = self._hidden_indicators(item.capture_id, redaction.boxes)
        return dataclasses.replace(
            item, evidence_path=copy_file(self._ctx, redaction.sha256),
            sha256=redaction.sha256, md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            size=len(data), format="png", width=width, height=height,
            preview=lambda: reduced_thumbnail(data, width * height + 1),
            ocr_text=self._scrubbed_text(item, redaction.boxes),
            indicators=[i for i in item.indicators if _key(i) not in hidden],
            unconfirmed=[i for i in item.unconfirmed if _key(i) not in hidden],
            redacted={"sha256": redaction.sha256, "original_sha256": redaction.original_sha256,
                      "log_sha256": redaction.log_sha256, "redaction_id": redaction.id})

    def _hidden_indicators(self, capture_id: int, boxes: Sequence[Box]
                           ) -> set[tuple[str, str]]:
        """The indicators read from inside a box (they are not sent)."""
        capture = self._service.capture(capture_id)
        orientation = orientation_of(self._ctx.store.read_verified(capture.sha256))
        size = (capture.width, capture.height)
        return {(i.kind, i.normalized) for i in self._reading.indicators(capture_id)
                if i.box and any(b.overlaps(shown_box(i.box, size, orientation))
                                 for b in boxes)}

    def _scrubbed_text(self, item: PackItem, boxes: Sequence[Box]) -> str | None:
        """The OCR text with every word read inside a box replaced by ``[redacted]``."""
        if item.ocr_text is None:
            return None
        hidden = {word for word, box in self._service.ocr_words(item.capture_id)
                  if any(b.overlaps(box) for b in boxes)}
        return re.sub(r"\S+", lambda m: REDACTED_WORD if m.group() in hidden else m.group(),
                      item.ocr_text)


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return str(entry.get("kind")), str(entry.get("normalized"))
