"""What a gallery tile says about a capture, worked out once per capture (not per
paint): the platform's proper name and mark, the handle, the capture time in local
time, the exhibit reference, the first words read, why it was flagged and where it
stands with the platform — as the tile's four lines, its tooltip and the sentence a
screen reader speaks.

The gallery sorts by date, platform, case or pack state (``ORDERS``); shown in
groups, the tile that starts a group carries the group's caption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from workstation.evidence.overview import NOT_SENT, CaptureOverview, PackMark
from workstation.models import Capture
from workstation.platforms import platform_label, platform_mark

#: The orders the gallery can be sorted (and grouped) by: key -> menu text.
ORDERS = {"date": "&Date", "platform": "&Platform", "case": "&Case", "state": "Pack &state"}

#: Badge colours (background) of the platforms' marks; white text on each.
PLATFORM_COLOURS = {
    "facebook": "#1558b0", "instagram": "#a3286f", "tiktok": "#161616",
    "youtube": "#b3261e", "x": "#2b2b2b", "telegram": "#006a9e", "whatsapp": "#0b6b5e",
    "other": "#5f5f5f",
}

#: Chip colours (background) of the pack states; white text on each.
STATE_COLOURS = {
    "not_sent": "#5f5f5f", "draft": "#345f9c", "sealed": "#345f9c", "queued": "#345f9c",
    "sending": "#8a5a00", "sent": "#8a5a00", "acknowledged": "#8a5a00", "closed": "#8a5a00",
    "removed": "#1e6b34", "restricted": "#1e6b34", "already_gone": "#1e6b34",
    "no_violation": "#7a2e8e",
}


def local_time(value: str | None) -> datetime | None:
    """An ISO time (UTC when it names no zone) in the computer's local time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


#: Month names (no ``strftime``: it is slow under PySide, and 10,000 tiles are made).
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def short_time(moment: datetime | None, now: datetime | None = None) -> str:
    """``5 Dec 14:03`` (the year added when it is not this year)."""
    if moment is None:
        return "time unknown"
    this_year = (now or datetime.now().astimezone()).year
    year = "" if moment.year == this_year else f" {moment.year}"
    return (f"{moment.day} {MONTHS[moment.month - 1][:3]}{year} "
            f"{moment.hour:02d}:{moment.minute:02d}")


def long_time(moment: datetime | None) -> str:
    """``5 December 2026 14:03`` (for screen readers and tooltips)."""
    if moment is None:
        return "time unknown"
    return (f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} "
            f"{moment.hour:02d}:{moment.minute:02d}")


def day(moment: datetime | None) -> str:
    """``5 December 2026`` (the date groups' caption)."""
    if moment is None:
        return "Time unknown"
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


@dataclass(frozen=True, slots=True)
class Tile:
    """A capture's tile, ready to paint.

    Attributes:
        platform, platform_name, mark: the platform key, its proper name, its badge letters.
        handle: ``@handle`` (empty when unknown).
        when: the short local capture time; exhibit: the exhibit reference or ``""``.
        words: the first words read, or what stands for them ("not read yet", "reading…");
            read: whether ``words`` is text read from the image.
        reasons: the flag reasons ("" when not flagged); state, state_label: the pack state.
        lines: the tile's four lines of text; spoken: what a screen reader says.
        groups: the group caption of the tile under each order.
    """

    capture_id: int
    platform: str
    platform_name: str
    mark: str
    handle: str
    when: str
    exhibit: str
    words: str
    read: bool
    reasons: str
    state: str
    state_label: str
    lines: tuple[str, str, str, str]
    spoken: str
    groups: dict[str, str]


def _words(capture: Capture, overview: CaptureOverview | None, pending: bool,
           reading: bool) -> tuple[str, bool]:
    if reading:
        return "reading…", False
    if pending or overview is None or not overview.read:
        return "not read yet", False
    return (overview.first_words or "no text found"), bool(overview.first_words)


def _state_text(mark: PackMark) -> str:
    """The state as spoken: an answer to a sent pack says it was sent."""
    if mark.sent and mark.state not in ("sent", "acknowledged", "closed"):
        return f"sent, {mark.label}"
    return mark.label


def make_tile(capture: Capture, overview: CaptureOverview | None, exhibit: str | None,
              *, flagged: bool, pending: bool, reading: bool, case_name: str | None = None,
              now: datetime | None = None) -> Tile:
    """The tile of ``capture`` from what the model already holds (no database read)."""
    platform = capture.platform or ""
    name = platform_label(platform, "Unknown platform")
    handle = f"@{capture.handle}" if capture.handle else ""
    moment = local_time(capture.captured_at)
    when = short_time(moment, now)
    words, has_text = _words(capture, overview, pending, reading)
    reasons = ", ".join(overview.flag_reasons) if flagged and overview else ""
    if flagged and not reasons:
        reasons = "keywords"
    mark = overview.pack if overview is not None else NOT_SENT
    line2 = when + (f"  ·  {exhibit}" if exhibit else "")
    line4 = f"Flagged: {reasons}" if reasons else ""
    lines = (f"{name}  {handle}".strip(), line2, words, line4)
    spoken_parts = [f"Capture {capture.id}", name]
    if handle:
        spoken_parts.append(handle)
    spoken_parts.append(long_time(moment))
    if exhibit:
        spoken_parts.append(f"exhibit {exhibit}")
    spoken_parts.append(f"reads: {words}" if has_text else words)
    if reasons:
        spoken_parts.append(f"flagged: {reasons}")
    spoken_parts.append(_state_text(mark))
    case = case_name or capture.case or ""
    groups = {
        "date": day(moment),
        "platform": name,
        "case": case or "No case",
        "state": mark.label[:1].upper() + mark.label[1:],
    }
    return Tile(capture.id, platform, name, platform_mark(platform or None), handle, when,
                exhibit or "", words, has_text, reasons, mark.state,
                mark.label, lines, ", ".join(spoken_parts), groups)


def tooltip(tile: Tile, capture: Capture) -> str:
    """The tile's text, then what only the tooltip has room for."""
    lines = [f"Capture #{capture.id}" + (f" (exhibit {tile.exhibit})" if tile.exhibit else ""),
             f"{tile.platform_name}  {tile.handle}".strip(),
             f"Captured {long_time(local_time(capture.captured_at))} "
             f"({capture.captured_at_source})",
             f"Reads: {tile.words}" if tile.read else tile.words[:1].upper() + tile.words[1:]]
    if tile.reasons:
        lines.append(f"Flagged: {tile.reasons}")
    lines.append(f"Pack: {tile.state_label}")
    if capture.case:
        lines.append(f"Case: {capture.case}")
    if capture.tags:
        lines.append("Tags: " + ", ".join(capture.tags))
    lines.append(f"{capture.width}×{capture.height} {capture.format}")
    return "\n".join(lines)
