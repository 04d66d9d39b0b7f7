"""Suggestions for redaction, never applied by themselves: faces (:mod:`.faces`) and the
third-party details OCR read (phone numbers, messenger numbers, e-mail addresses: the
boxes of their words), in the pixels of the image as shown (EXIF orientation applied,
as the redaction is).  The analyst confirms or dismisses each one, and may mark any
other OCR word (a name) from :func:`ocr_words`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image

from workstation.context import Context
from workstation.models import Capture
from workstation.reading.service import ReadingService
from workstation.redaction.apply import displayed_image
from workstation.redaction.faces import FaceModelUnavailable, detect_faces
from workstation.redaction.model import Box

#: Indicator kinds whose boxes are suggested, and the reason given to them.
OCR_KINDS = {"phone": "third-party phone number", "whatsapp": "third-party phone number",
             "telegram": "third-party phone number", "email": "third-party e-mail address"}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A box to confirm or dismiss: what it is (``label``), and the detector's score
    for a face."""

    box: Box
    label: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["box"] = self.box.to_dict()
        return data


@dataclass(slots=True)
class Suggestions:
    """What was found, and why something could not be looked for (``notes``)."""

    items: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"suggestions": [s.to_dict() for s in self.items], "notes": self.notes}


def suggest(ctx: Context, capture: Capture, reading: ReadingService, *,
            faces: bool = True) -> Suggestions:
    """Faces and the OCR'd third-party details of ``capture`` (reads the verified original)."""
    result = Suggestions()
    original = ctx.store.read_verified(capture.sha256)
    image = displayed_image(original, capture.width * capture.height + 1)
    if faces:
        try:
            result.items += [Suggestion(Box(f.x, f.y, f.w, f.h, "third-party face", "face"),
                                        f"face ({f.score:.0%})", f.score)
                             for f in detect_faces(image)]
        except FaceModelUnavailable as exc:
            result.notes.append(str(exc))
    if reading.current_ocr(capture.id) is None:
        result.notes.append("Not yet OCR'd: no phone numbers or e-mail addresses suggested.")
        return result
    raw_size = (capture.width, capture.height)  # as stored: before the orientation
    for ind in reading.indicators(capture.id):
        if ind.kind in OCR_KINDS and ind.box and ind.status != "rejected":
            x, y, w, h = shown_box(ind.box, raw_size, orientation_of(original))
            result.items.append(Suggestion(Box(x, y, w, h, OCR_KINDS[ind.kind], "ocr"),
                                           f"{ind.kind} {ind.value}"))
    return result


def ocr_words(ctx: Context, capture: Capture, reading: ReadingService
              ) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The current OCR run's words and their boxes in the pixels as shown (to mark a name)."""
    run = reading.current_ocr(capture.id)
    if run is None:
        return []
    original = ctx.store.read_verified(capture.sha256)
    size, orientation = (capture.width, capture.height), orientation_of(original)
    words = []
    for word in run.words:
        bbox = word.get("bbox")
        if word.get("text") and bbox and len(bbox) == 4:
            words.append((str(word["text"]), shown_box(bbox, size, orientation)))
    return words


def orientation_of(original: bytes) -> int:
    """The EXIF orientation (1: none) of the original."""
    import io

    try:
        with Image.open(io.BytesIO(original)) as image:
            value = image.getexif().get(0x0112, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def shown_box(box: Sequence[Any], size: tuple[int, int], orientation: int
              ) -> tuple[int, int, int, int]:
    """A box ``x, y, w, h`` of the stored pixels (an image of ``size``) in the pixels as
    shown once the EXIF ``orientation`` is applied."""
    x, y, w, h = (int(v) for v in box[:4])
    width, height = size
    corners = [(x, y), (x + w, y + h)]
    moved = [_point(px, py, width, height, orientation) for px, py in corners]
    xs, ys = [p[0] for p in moved], [p[1] for p in moved]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _point(x: int, y: int, width: int, height: int, orientation: int) -> tuple[int, int]:
    return {
        2: (width - x, y), 3: (width - x, height - y), 4: (x, height - y), 5: (y, x),
        6: (height - y, x), 7: (height - y, width - x), 8: (y, width - x),
    }.get(orientation, (x, y))
