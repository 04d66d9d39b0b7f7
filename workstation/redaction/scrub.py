"""What OCR read inside a redaction's boxes, kept out of every output that shows the
redacted copy (a pack item sent as the copy, the case report): the words become
``[redacted]`` in the text, the indicators read there are dropped, and so are the links
to other captures that only those indicators made."""

from __future__ import annotations

import re
from collections.abc import Sequence

from workstation.context import Context
from workstation.reading.service import ReadingService
from workstation.redaction.model import Box
from workstation.redaction.service import RedactionService
from workstation.redaction.suggest import orientation_of, shown_box

#: What stands in the OCR text for a word inside a redaction box.
REDACTED_WORD = "[redacted]"


def hidden_indicators(ctx: Context, reading: ReadingService, service: RedactionService,
                      capture_id: int, boxes: Sequence[Box]) -> set[tuple[str, str]]:
    """The (kind, normalized value) of the indicators read from inside a box."""
    capture = service.capture(capture_id)
    orientation = orientation_of(ctx.store.read_verified(capture.sha256))
    size = (capture.width, capture.height)
    return {(i.kind, i.normalized) for i in reading.indicators(capture_id)
            if i.box and any(b.overlaps(shown_box(i.box, size, orientation)) for b in boxes)}


def scrubbed_text(text: str | None, service: RedactionService, capture_id: int,
                  boxes: Sequence[Box]) -> str | None:
    """``text`` with every word OCR read inside a box replaced by ``[redacted]``."""
    if text is None:
        return None
    hidden = {word for word, box in service.ocr_words(capture_id)
              if any(b.overlaps(box) for b in boxes)}
    return re.sub(r"\S+", lambda m: REDACTED_WORD if m.group() in hidden else m.group(), text)
