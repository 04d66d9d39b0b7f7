"""What the gallery tells about each capture at a glance (``ws.overview``): the first
words read, why it was flagged, and where it stands with the platform (its pack state).

The pack state of a capture comes from the packs it is in: an answered item wins (the
latest answer), otherwise the latest pack's state; a capture in no pack is "not sent".
Everything is read in bulk, never per capture, so a gallery of 10,000 captures gets
its overview in a few queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from workstation.platforms import PLATFORMS
from workstation.storage.overview_repo import OverviewRepo

#: Pack states and answers, in the order the gallery sorts and groups them by.
PACK_STATES = (
    "not_sent", "draft", "sealed", "queued", "sending", "sent", "acknowledged", "closed",
    "removed", "restricted", "already_gone", "no_violation",
)

#: What the analyst reads for each pack state.
PACK_STATE_LABELS = {
    "not_sent": "not sent",
    "draft": "in pack (draft)",
    "sealed": "in pack (sealed)",
    "queued": "queued to send",
    "sending": "sending",
    "sent": "sent",
    "acknowledged": "sent (acknowledged)",
    "closed": "sent (closed)",
    "removed": "answered: removed",
    "restricted": "answered: restricted",
    "already_gone": "answered: already gone",
    "no_violation": "answered: no violation",
}

#: The states of a pack that went to its platform.
_SENT = frozenset({"sent", "acknowledged", "closed"})


@dataclass(frozen=True, slots=True)
class PackMark:
    """Where a capture stands with the platform.

    Attributes:
        state: a key of :data:`PACK_STATE_LABELS`.
        ref: the pack that decided the state (``None`` when not in any pack).
        sent: whether some pack holding it went to the platform.
    """

    state: str = "not_sent"
    ref: str | None = None
    sent: bool = False

    @property
    def label(self) -> str:
        return pack_state_label(self.state)

    @property
    def rank(self) -> int:
        return PACK_STATES.index(self.state) if self.state in PACK_STATES else len(PACK_STATES)


NOT_SENT = PackMark()


@dataclass(frozen=True, slots=True)
class CaptureOverview:
    """One capture's overview.

    Attributes:
        read: whether it has been OCR'd (``first_words`` may still be empty: no text).
        first_words: the first line of its latest OCR text, whitespace collapsed.
        flag_reasons: the keyword categories that flagged it (empty: not flagged).
        pack: its :class:`PackMark`.
    """

    capture_id: int
    read: bool = False
    first_words: str = ""
    flag_reasons: tuple[str, ...] = ()
    pack: PackMark = NOT_SENT


def pack_state_label(state: str) -> str:
    """``removed`` -> ``answered: removed``; unknown states as they are."""
    return PACK_STATE_LABELS.get(state, state.replace("_", " "))


#: A phone screenshot's status bar as OCR reads it: a clock, then signal, network and
#: battery marks ("21:47 ull 4G @ 87%"), no word of four or more letters.
_STATUS_BAR = re.compile(r"^\d{1,2}[:.]\d{2}\b")
_STATUS_WORDS = re.compile(r"\b(?:VoLTE|LTE|WiFi|Wi-Fi)\b", re.IGNORECASE)
_A_WORD = re.compile(r"[^\W\d_]{4,}")


#: An app's title bar as OCR reads it: the platform's name, perhaps with menu dots.
_APP_NAMES = frozenset(p for p in PLATFORMS if len(p) > 1 and p != "other")


def is_app_bar(line: str) -> bool:
    """Whether ``line`` is only an app's name ("facebook 000", "Instagram")."""
    words = _A_WORD.findall(line)
    return len(words) == 1 and words[0].lower() in _APP_NAMES and len(line) <= 24


def is_status_bar(line: str) -> bool:
    """Whether ``line`` is a phone status bar rather than the advert's text."""
    if not _STATUS_BAR.match(line):
        return False
    rest = _STATUS_WORDS.sub(" ", _STATUS_BAR.sub("", line))
    return _A_WORD.search(rest) is None


def first_line(text: str, limit: int = 160) -> str:
    """The first line of ``text`` that has something on it, spaces collapsed; a
    screenshot's status bar (clock, signal, battery) and app bar are passed over."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if not is_status_bar(line) and not is_app_bar(line):
            return line[:limit]
    return lines[0][:limit] if lines else ""


def pack_marks(rows: Iterable[tuple[int, str, str, str]]) -> dict[int, PackMark]:
    """capture id -> its :class:`PackMark`, from ``(capture id, pack ref, pack state,
    item outcome)`` rows in pack order (oldest first): the latest answer wins, else the
    latest pack."""
    latest: dict[int, PackMark] = {}
    answered: dict[int, PackMark] = {}
    sent: set[int] = set()
    for capture_id, ref, state, outcome in rows:
        if state in _SENT:
            sent.add(capture_id)
        if outcome and outcome != "pending":
            answered[capture_id] = PackMark(outcome, ref)
        latest[capture_id] = PackMark(state, ref)
    marks: dict[int, PackMark] = {}
    for capture_id, mark in latest.items():
        chosen = answered.get(capture_id, mark)
        marks[capture_id] = PackMark(chosen.state, chosen.ref, capture_id in sent)
    return marks


class OverviewService:
    """Bulk reads for the gallery's tiles (read-only)."""

    def __init__(self, repo: OverviewRepo) -> None:
        self._repo = repo

    def pack_marks(self, capture_ids: Iterable[int] | None = None) -> dict[int, PackMark]:
        """capture id -> its pack state, for the captures in some pack (all, or of
        ``capture_ids``); the others are :data:`NOT_SENT`."""
        return pack_marks((int(r["capture_id"]), str(r["ref"]), str(r["state"]),
                           str(r["outcome"] or "")) for r in self._repo.pack_items(capture_ids))

    def captures(self, capture_ids: Iterable[int] | None = None
                 ) -> dict[int, CaptureOverview]:
        """capture id -> :class:`CaptureOverview`, for every capture that has been read,
        flagged or put in a pack (all, or of ``capture_ids``); the others have nothing
        to tell (``CaptureOverview(id)``)."""
        ids = None if capture_ids is None else sorted({int(i) for i in capture_ids})
        heads = self._repo.text_heads(ids)
        reasons = self._repo.flag_categories(ids)
        marks = self.pack_marks(ids)
        return {cid: CaptureOverview(cid, cid in heads, first_line(heads.get(cid, "")),
                                     tuple(reasons.get(cid, ())), marks.get(cid, NOT_SENT))
                for cid in set(heads) | set(reasons) | set(marks)}
