"""Whether captures are ready to go in a pack to a contact: the one home of the rule
that a pack goes to one platform, and of the per-item checks the composer shows
(computed here, in the core, so the window runs them off the GUI thread)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from workstation.models import Capture

#: An analyst's verdict outranks what was merely found: one record of a value that is
#: rejected keeps it out, one that is confirmed (e.g. typed in the notes) confirms it.
_RANK = {"rejected": 0, "confirmed": 1, "found": 2}


class Reviewed(Protocol):
    """An indicator record with the analyst's verdict (``ws.reading.indicators``)."""

    @property
    def kind(self) -> str: ...

    @property
    def normalized(self) -> str: ...

    @property
    def status(self) -> str: ...


R = TypeVar("R", bound=Reviewed)


def split_reviewed(records: Iterable[R]) -> tuple[list[R], list[R]]:
    """The distinct indicators of a capture as (confirmed, unconfirmed), in the order
    first found; rejected ones are in neither: they never reach a platform.

    A value can be recorded more than once (read by OCR and typed in the notes); the
    verdict is the analyst's on the value, so the strongest record stands for it.
    """
    best: dict[tuple[str, str], R] = {}
    for record in records:
        key = (record.kind, record.normalized)
        held = best.get(key)
        if held is None or _RANK.get(record.status, 2) < _RANK.get(held.status, 2):
            best[key] = record
    confirmed = [r for r in best.values() if r.status == "confirmed"]
    unconfirmed = [r for r in best.values() if r.status not in ("confirmed", "rejected")]
    return confirmed, unconfirmed


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
        indicators: how many distinct confirmed indicators it has (what the pack
            asks the platform to act on).
        checks: short sentences ("no source URL", "not OCR'd yet", "from x, not y",
            "2 indicators not confirmed"); empty when the item is ready.
        blocking: whether a check makes sealing impossible (a platform mismatch).
        unconfirmed: how many indicators read by OCR are not confirmed yet: the pack
            lists them apart, marked unconfirmed, so sealing is allowed but warned.
        content_id: the platform's id of the content (post id), if known.
        no_locator: neither a URL nor a content id: a platform cannot find it, so it
            is sealed only with the analyst's reason (``--allow-no-url``).
        observed_source: who says when it was seen (``observed_time_source``:
            analyst, file, system); see :attr:`weak_time`.
    """

    capture_id: int
    platform: str | None
    handle: str | None
    source_url: str | None
    indicators: int
    checks: tuple[str, ...]
    blocking: bool
    unconfirmed: int = 0
    content_id: str | None = None
    no_locator: bool = False
    observed_source: str = "analyst"

    @property
    def ok(self) -> bool:
        return not self.checks

    @property
    def weak_time(self) -> bool:
        """Whether the observed time is only the file's modification time."""
        return self.observed_source == "file"


def item_readiness(capture: Capture, contact_platform: str | None, indicators: int,
                   has_ocr: bool, unconfirmed: int = 0) -> ItemReadiness:
    """The checks for one capture in a pack to ``contact_platform`` (``None``: no contact
    chosen yet); ``indicators`` confirmed and ``unconfirmed`` ones awaiting the analyst.
    Unconfirmed indicators only warn: the pack still carries them, marked as such."""
    checks = []
    mismatch = (platform_mismatch(capture.platform, contact_platform)
                if contact_platform is not None else None)
    if mismatch:
        checks.append(mismatch)
    no_locator = not has_locator(capture)
    if no_locator:
        checks.append("no source URL or content id")
    elif not capture.source_url:
        checks.append("no source URL")
    if not has_ocr:
        checks.append("not OCR'd yet")
    if unconfirmed:
        plural = "indicator" if unconfirmed == 1 else "indicators"
        checks.append(f"no confirmed indicators ({unconfirmed} not confirmed)" if not indicators
                      else f"{unconfirmed} {plural} not confirmed")
    return ItemReadiness(capture.id, capture.platform, capture.handle, capture.source_url,
                         indicators, tuple(checks), blocking=mismatch is not None,
                         unconfirmed=unconfirmed, content_id=capture.content_id,
                         no_locator=no_locator, observed_source=capture.captured_at_source)


def has_locator(capture: Capture) -> bool:
    """Whether a platform can find the content: a URL or a content id (post id)."""
    return bool((capture.source_url or "").strip() or (capture.content_id or "").strip())


def fits(captures: Sequence[Capture], contact_platform: str) -> bool:
    """Whether every capture may go in one pack to ``contact_platform``."""
    return all(platform_mismatch(c.platform, contact_platform) is None for c in captures)
