"""What a case report holds: its header (who, what case, when, the ``verify`` result),
one :class:`Exhibit` per capture, and what building it produced (:class:`ReportResult`)."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import Any

from workstation.models import Capture

#: The longest side of an image as drawn in the report (pixels): sharp on paper at
#: ~120 dpi, small enough that a thousand of them stay well under the memory budget.
IMAGE_MAX_PX = 760
#: JPEG quality of the drawn images (the evidence itself is the original, by its hash).
IMAGE_QUALITY = 72
#: The report formats.
FORMATS = ("pdf", "html")


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """The report's first page."""

    agency: str
    unit: str
    case_id: int
    case_name: str
    case_status: str
    case_created_at: str
    marking: str
    generated_at: str          # local time with its zone, e.g. 2026-12-05 14:08:17 CET (+01:00)
    generated_utc: str         # the same, UTC ISO 8601
    analyst: str
    app_version: str
    verify_ok: bool
    verify_summary: str
    verify_problems: tuple[str, ...]
    exhibit_count: int
    storage: str               # how the evidence has been stored, in words
    audit_head: str            # "seq N, hash H" of the whole chain at generation

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verify_problems"] = list(self.verify_problems)
        return data


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One line of the exhibit list."""

    ref: str
    capture_id: int
    captured_at: str
    sha256: str
    platform: str


@dataclass(slots=True)
class Exhibit:
    """One capture as the report shows it."""

    ref: str
    capture: Capture
    image: bytes | None = None          # JPEG, downscaled from verified bytes
    image_width: int = 0
    image_height: int = 0
    shown: str = "original"             # "original" | "redacted copy"
    shown_sha256: str = ""
    image_error: str | None = None
    redaction: dict[str, Any] | None = None
    ocr_text: str = ""
    ocr_languages: str = ""
    indicators: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    packs: list[dict[str, Any]] = field(default_factory=list)
    timestamps: list[dict[str, Any]] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        """The exhibit's entry in the embedded ``manifest.json``."""
        c = self.capture
        return {
            "ref": self.ref, "capture_id": c.id, "sha256": c.sha256, "md5": c.md5,
            "size": c.size, "format": c.format, "width": c.width, "height": c.height,
            "captured_at": c.captured_at, "captured_at_source": c.captured_at_source,
            "imported_at": c.imported_at, "analyst": c.analyst,
            "capture_method": c.capture_method, "source_url": c.source_url,
            "platform": c.platform, "handle": c.handle, "content_id": c.content_id,
            "shown": self.shown, "shown_sha256": self.shown_sha256,
            "redaction": self.redaction, "ocr_languages": self.ocr_languages,
            "indicators": self.indicators, "links": self.links, "packs": self.packs,
            "timestamps": self.timestamps,
        }


@dataclass(frozen=True, slots=True)
class ReportResult:
    """A report written: where, its hashes, and its signature."""

    path: str
    signature_path: str
    format: str
    sha256: str
    size: int
    exhibits: int
    signing_key_id: str
    trusted_comment: str
    verify_ok: bool
    verify_summary: str
    timestamp_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def page_image(data: bytes, max_px: int = IMAGE_MAX_PX) -> tuple[bytes, int, int]:
    """``data`` (an image's verified bytes) as a JPEG for the page, at most ``max_px`` on
    its longest side; returns (JPEG bytes, width, height)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        if im.format == "JPEG":
            im.draft("RGB", (max_px, max_px))  # decode at a reduced scale: much faster
        im.seek(0)
        rgb = im.convert("RGBA") if im.mode in ("P", "LA", "PA") else im
        if rgb.mode == "RGBA":  # flatten transparency on white (PDF/A: no soft masks needed)
            base = Image.new("RGB", rgb.size, (255, 255, 255))
            base.paste(rgb, mask=rgb.getchannel("A"))
            rgb = base
        elif rgb.mode != "RGB":
            rgb = rgb.convert("RGB")
        rgb.thumbnail((max_px, max_px), Image.Resampling.BILINEAR, reducing_gap=2.0)
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=IMAGE_QUALITY)
        return out.getvalue(), rgb.width, rgb.height
