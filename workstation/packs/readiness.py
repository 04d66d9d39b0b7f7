"""Whether captures are ready to go in a pack to a contact: the one home of the rule
that a pack goes to one platform, and of the per-item checks the composer shows
(computed here, in the core, so the window runs them off the GUI thread)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workstation.models import Capture


def platform_mismatch(capture_platform: str | None, contact_platform: str) -> str | None:
    """Why a capture from ``capture_platform`` cannot go to a contact for
    ``contact_platform`` (a pack goes to one platform), or ``None`` when it can.
    A capture with no platform, or a contact for "other", always fits."""
    if capture_platform and contact_platform != "other" and capture_platform != contact_platform:
        return f"from {capture_platform}, not {contact_platform}"
    return None


@dataclass(frozen=True, slots=True)
class ItemReadiness:
    """One capture as the composer lists it, with what stands in the way of sending it.

    Attributes:
        capture_id, platform, handle, source_url: the capture's own fields.
        indicators: how many distinct indicators it has.
        checks: short sentences ("no source URL", "not OCR'd yet", "from x, not y");
            empty when the item is ready.
        blocking: whether a check makes sealing impossible (a platform mismatch).
    """

    capture_id: int
    platform: str | None
    handle: str | None
    source_url: str | None
    indicators: int
    checks: tuple[str, ...]
    blocking: bool

    @property
    def ok(self) -> bool:
        return not self.checks


def item_readiness(capture: Capture, contact_platform: str | None, indicators: int,
                   has_ocr: bool) -> ItemReadiness:
    """The checks for one capture in a pack to ``contact_platform`` (``None``: no contact
    chosen yet)."""
    checks = []
    mismatch = (platform_mismatch(capture.platform, contact_platform)
                if contact_platform is not None else None)
    if mismatch:
        checks.append(mismatch)
    if not capture.source_url:
        checks.append("no source URL")
    if not has_ocr:
        checks.append("not OCR'd yet")
    return ItemReadiness(capture.id, capture.platform, capture.handle, capture.source_url,
                         indicators, tuple(checks), blocking=mismatch is not None)


def fits(captures: Sequence[Capture], contact_platform: str) -> bool:
    """Whether every capture may go in one pack to ``contact_platform``."""
    return all(platform_mismatch(c.platform, contact_platform) is None for c in captures)
