"""The analyst's confirmation of indicators (``ws.review``).

What OCR reads becomes what a platform is told, and OCR misreads (``@mohajertravel`` for
``@mohajer.travel``): so every indicator read by OCR is *found* until the analyst
*confirms* or *rejects* it, and packs carry confirmed indicators (unconfirmed ones
listed apart, marked as such).  What the analyst typed (notes, metadata) is confirmed
unless rejected, and so is the same value read by OCR (one rule everywhere:
``reading.service.indicator_status``).

A verdict is keyed by (capture, kind, normalised value), not by an indicator row, so it
survives the text being read again; a verdict whose indicator is no longer read stays
stored but shows nowhere.  Every verdict is written with its audit entry
(``indicator.confirm``, ``indicator.reject``, ``indicator.reset``), which ``verify``
replays against the table (:mod:`workstation.evidence.verify_reviews`).
"""

from __future__ import annotations

from collections.abc import Iterable

from workstation.context import Context
from workstation.errors import NotFound, WorkstationError
from workstation.reading.service import IndicatorRecord, ReadingService, indicator_record
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.reviews_repo import ReviewsRepo
from workstation.textnorm import fold
from workstation.timeutil import utc_now

#: audit action -> the verdict it stores (``None``: back to found)
ACTIONS: dict[str, str | None] = {
    "indicator.confirm": "confirmed", "indicator.reject": "rejected", "indicator.reset": None}
#: the longest note kept with a verdict
NOTE_MAX = 500


class ReviewService:
    """Confirm, reject or reset the indicators of a capture; list those not yet reviewed."""

    def __init__(self, ctx: Context, reading: ReadingService, reading_repo: ReadingRepo,
                 repo: ReviewsRepo) -> None:
        self._ctx = ctx
        self._reading = reading
        self._reading_repo = reading_repo
        self._repo = repo

    # -------------------------------------------------------------------- verdicts
    def confirm(self, capture_id: int, kind: str, normalized: str,
                note: str | None = None) -> IndicatorRecord:
        """The analyst checked the indicator against the image: it may go out."""
        return self._review("indicator.confirm", capture_id, kind, normalized, note)

    def reject(self, capture_id: int, kind: str, normalized: str,
               note: str | None = None) -> IndicatorRecord:
        """A misreading (or not the smugglers'): it goes out nowhere and links nothing."""
        return self._review("indicator.reject", capture_id, kind, normalized, note)

    def reset(self, capture_id: int, kind: str, normalized: str) -> IndicatorRecord:
        """Withdraw the verdict: back to found (or, for what the analyst typed, confirmed)."""
        return self._review("indicator.reset", capture_id, kind, normalized, None)

    def confirm_all(self, capture_id: int, note: str | None = None) -> list[IndicatorRecord]:
        """Confirm every found indicator of a capture, one audit entry each, in one
        transaction; returns those confirmed."""
        note = _clean_note(note)
        with self._ctx.write():
            pending = _unique(self.pending([capture_id]))
            return [self._apply("indicator.confirm", capture_id, r.kind, r.normalized, note)
                    for r in pending]

    def decide(self, capture_id: int, decisions: Iterable[tuple[str, str, str]],
               note: str | None = None) -> list[IndicatorRecord]:
        """Several verdicts on one capture's indicators, all or none: each decision is
        (``confirm`` | ``reject`` | ``reset``, kind, normalised value), audited one by one."""
        note = _clean_note(note)
        todo = [(f"indicator.{verb}", kind, normalized) for verb, kind, normalized in decisions]
        for action, _kind, _normalized in todo:
            if action not in ACTIONS:
                raise WorkstationError(f"Unknown verdict {action.partition('.')[2]!r}; "
                                       "choose confirm, reject or reset.")
        with self._ctx.write():
            return [self._apply(action, capture_id, kind, normalized,
                                None if action == "indicator.reset" else note)
                    for action, kind, normalized in todo]

    def record_within(self, capture_id: int, kind: str, normalized: str, verdict: str,
                      note: str | None) -> IndicatorRecord:
        """Inside the caller's write: the verdict ``verdict`` ('confirmed' or 'rejected')
        on an indicator this workspace reads (a verdict received with a case bundle);
        :class:`NotFound` when it reads no such indicator (nothing written)."""
        action = {"confirmed": "indicator.confirm", "rejected": "indicator.reject"}.get(verdict)
        if action is None:
            raise NotFound(f"Unknown verdict {verdict!r}.")
        return self._apply(action, capture_id, kind, normalized, _clean_note(note))

    def _review(self, action: str, capture_id: int, kind: str, normalized: str,
                note: str | None) -> IndicatorRecord:
        note = _clean_note(note)
        with self._ctx.write():
            return self._apply(action, capture_id, kind, normalized, note)

    def _apply(self, action: str, capture_id: int, kind: str, normalized: str,
               note: str | None) -> IndicatorRecord:
        """Inside a write: store the verdict ``action`` names, with its audit entry."""
        verdict = ACTIONS[action]
        record = self._find(capture_id, kind, normalized)
        old = self._repo.get(capture_id, kind, normalized)
        old_verdict = old["verdict"] if old is not None else None
        if old_verdict == verdict and note is None:
            return record  # nothing changes: nothing to record
        reviewed_at = utc_now()
        if verdict is None:
            self._repo.delete(capture_id, kind, normalized)
        else:
            self._repo.set(capture_id, kind, normalized, verdict, self._ctx.analyst,
                           reviewed_at)
        details: dict[str, object] = {
            "kind": kind, "normalized": normalized, "value": record.value,
            "source": record.source, "verdict": verdict, "old": old_verdict,
            "reviewed_at": reviewed_at}
        if note is not None:
            details["note"] = note
        self._ctx.audit.append(self._ctx.analyst, action, f"capture:{capture_id}", details)
        return self._find(capture_id, kind, normalized)

    def _find(self, capture_id: int, kind: str, normalized: str) -> IndicatorRecord:
        """The capture's indicator (the one read by OCR first, as the analyst saw it)."""
        records = [r for r in self._reading.indicators(capture_id, kind)
                   if r.normalized == normalized]
        if not records:
            raise NotFound(f"Capture #{capture_id} has no {kind} indicator {normalized!r} "
                           "(list them with {how}).", how=f"indicators {capture_id}")
        return sorted(records, key=lambda r: r.source != "ocr")[0]

    # ----------------------------------------------------------------------- reads
    def pending(self, capture_ids: Iterable[int] | None = None) -> list[IndicatorRecord]:
        """Indicators read by OCR that no analyst has confirmed or rejected yet, nor
        typed in the capture's notes or metadata: those whose status is *found*
        (``indicator_status``, the rule the viewer and packs use), of every capture or
        of those asked, in capture order."""
        if capture_ids is None:
            rows = self._reading_repo.indicators(unreviewed=True)
        else:
            rows = []
            for cid in dict.fromkeys(capture_ids):
                self._reading.indicators(cid)  # a clear error for a capture that does not exist
                rows += self._reading_repo.indicators(cid, unreviewed=True)
        return [r for r in map(indicator_record, rows) if r.status == "found"]

    def match(self, capture_id: int, text: str, kind: str | None = None
              ) -> list[IndicatorRecord]:
        """The capture's indicators (one per kind and normalised value) that ``text``
        names: as read, or normalised (case, spacing and a leading ``@``/``+`` aside),
        so ``--confirm '+44 7700 900123'`` and ``--confirm 447700900123`` both work."""
        wanted = _key(text)
        if not wanted:
            raise WorkstationError("Give the indicator's value, as shown or normalised.")
        records = _unique(self._reading.indicators(capture_id, kind))
        exact = [r for r in records if r.value == text or r.normalized == text]
        if exact:
            return exact
        return [r for r in records if wanted in (_key(r.value), _key(r.normalized))]


def _key(text: str) -> str:
    """A value as typed, for matching: folded, without spaces or a leading ``@``/``+``."""
    folded = "".join(fold(text).split())
    return folded.lstrip("@+")


def _unique(records: list[IndicatorRecord]) -> list[IndicatorRecord]:
    """One record per (capture, kind, normalised value): the first one."""
    seen: set[tuple[int, str, str]] = set()
    out = []
    for r in records:
        key = (r.capture_id, r.kind, r.normalized)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise WorkstationError(f"The note is too long ({len(note)} characters; at most "
                               f"{NOTE_MAX}).")
    return note or None
