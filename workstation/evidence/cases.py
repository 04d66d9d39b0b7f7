"""Cases: named groups of captures, open or closed (``ws.cases``): create, rename,
close, reopen, move captures between them, and the case view (its captures with their
exhibit references, the packs that hold them with the platforms' outcomes, and its
timeline from the audit trail)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from workstation.context import Context
from workstation.errors import NotFound, WorkstationError
from workstation.models import Case
from workstation.storage.exhibits_repo import CaseViewRepo
from workstation.storage.repositories import CaseRepo
from workstation.timeutil import utc_now


@dataclass(frozen=True, slots=True)
class CaseCapture:
    """A capture as the case view lists it."""

    id: int
    exhibit: str | None
    captured_at: str
    platform: str | None
    handle: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What the platform did about one of the case's captures in a pack."""

    capture_id: int
    exhibit: str | None
    outcome: str
    outcome_at: str | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class CasePack:
    """A pack holding captures of the case (only those captures' items)."""

    id: int
    ref: str
    state: str
    platform: str
    sealed_at: str | None
    sent_at: str | None
    items: list[ItemOutcome] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One audit entry of the case's timeline, with a one-line summary."""

    seq: int
    at: str
    analyst: str
    action: str
    subject: str
    summary: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case, its captures and the packs that hold them."""

    case: Case
    captures: list[CaseCapture]
    packs: list[CasePack]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CaseService:
    """Create, list, close and reopen cases; every change audited."""

    def __init__(self, ctx: Context, repo: CaseRepo, view_repo: CaseViewRepo | None = None
                 ) -> None:
        self._ctx = ctx
        self._repo = repo
        self._view = view_repo if view_repo is not None else CaseViewRepo(ctx.conn)

    def all(self) -> list[Case]:
        return self._repo.all_cases()

    def get(self, name: str) -> Case:
        found = self._repo.by_name(name)
        if found is None:
            raise NotFound(f"There is no case named {name!r}.")
        return found

    def exists(self, name: str) -> bool:
        return self._repo.by_name(" ".join(name.split())) is not None

    def create(self, name: str) -> Case:
        name = clean_name(name, "case name")
        with self._ctx.write():
            if self._repo.by_name(name) is not None:
                raise WorkstationError(f"A case named {name!r} already exists.")
            case_id = self._create(name)
        return self.by_id(case_id)

    def _create(self, name: str) -> int:
        case_id = self._repo.create(name, utc_now())
        self._ctx.audit.append(self._ctx.analyst, "case.create", f"case:{case_id}", {"name": name})
        return case_id

    def by_id(self, case_id: int) -> Case:
        found = self._repo.by_id(case_id)
        if found is None:
            raise NotFound(f"There is no case #{case_id}.")
        return found

    def set_status(self, name: str, status: str) -> Case:
        if status not in ("open", "closed"):
            raise ValueError(status)
        with self._ctx.write():
            case = self.get(name)
            if case.status != status:
                self._repo.set_status(case.id, status)
                self._ctx.audit.append(
                    self._ctx.analyst, "case.close" if status == "closed" else "case.reopen",
                    f"case:{case.id}", {"name": case.name, "old": case.status, "new": status},
                )
        return self.get(name)

    def rename(self, old: str, new: str) -> Case:
        """Rename case ``old`` to ``new`` (unique); audited."""
        new = clean_name(new, "new case name")
        with self._ctx.write():
            case = self.get(old)
            if new == case.name:
                return case
            other = self._repo.by_name(new)
            if other is not None and other.id != case.id:
                raise WorkstationError(f"A case named {new!r} already exists.")
            self._view.rename(case.id, new)
            self._ctx.audit.append(self._ctx.analyst, "case.rename", f"case:{case.id}",
                                   {"old": case.name, "new": new})
        return self.by_id(case.id)

    def move(self, capture_ids: Iterable[int], name: str) -> list[int]:
        """Move captures into the open case ``name``, in one audited write (one
        ``case.move`` entry); returns the ids moved (those already there are not)."""
        ids = sorted({int(i) for i in capture_ids})
        if not ids:
            raise WorkstationError("Name at least one capture to move.")
        with self._ctx.write():
            case = self.get(name)
            if case.status == "closed":
                raise WorkstationError(
                    f"The case {case.name!r} is closed; reopen it ({{how}}) "
                    "to move captures into it.", how="case reopen")
            current = self._view.case_ids_of(ids)
            missing = [i for i in ids if i not in current]
            if missing:
                raise NotFound(f"There is no capture #{missing[0]}.")
            moving = [i for i in ids if current[i] != case.id]
            if not moving:
                return []
            names = self._view.case_names()
            self._view.move(moving, case.id)
            self._ctx.audit.append(self._ctx.analyst, "case.move", f"case:{case.id}", {
                "name": case.name, "captures": moving,
                "from": [{"capture": i, "case_id": current[i],
                          "case": names.get(current[i] or 0)} for i in moving]})
        return moving

    def view(self, name: str) -> CaseView:
        """The case with its captures (and exhibit references) and the packs that hold
        them, with the platforms' outcomes per item."""
        case = self.get(name)
        captures = [CaseCapture(r["id"], r["exhibit"], r["captured_at"], r["platform"],
                                r["handle"], r["source_url"])
                    for r in self._view.captures(case.id)]
        packs: dict[int, CasePack] = {}
        for r in self._view.pack_items(case.id):
            pack = packs.get(r["pack_id"])
            if pack is None:
                pack = packs[r["pack_id"]] = CasePack(
                    r["pack_id"], r["pack_ref"], r["state"], r["platform"], r["sealed_at"],
                    r["sent_at"])
            pack.items.append(ItemOutcome(r["capture_id"], r["exhibit"], r["outcome"],
                                          r["outcome_at"], r["outcome_comment"]))
        return CaseView(case, captures, list(packs.values()))

    def timeline(self, name: str) -> list[TimelineEvent]:
        """The case's events in the order they were recorded: the case created, renamed,
        closed; its captures imported, read, reviewed, given exhibit references, moved;
        the packs that hold them created, sealed, sent and their outcomes; redactions and
        reports."""
        case = self.get(name)
        events = []
        for r in self._view.timeline(case.id, case.name):
            try:
                details = json.loads(r["details"])
            except ValueError:
                details = {}
            if not isinstance(details, dict):
                details = {}
            events.append(TimelineEvent(
                r["seq"], r["at"], r["analyst"], r["action"], r["subject"],
                summarize(r["action"], r["subject"], details, case.id), details))
        return events

    def id_for(self, name: str | None, *, create: bool) -> int | None:
        """Inside a write: the id of case ``name``, created (audited) if missing."""
        if not name:
            return None
        name = clean_name(name, "case name")
        case = self._repo.by_name(name)
        if case is None:
            if not create:
                raise NotFound(f"There is no case named {name!r}.")
            return self._create(name)
        if case.status == "closed":
            raise WorkstationError(
                f"The case {name!r} is closed; reopen it ({{how}}) to add to it.",
                how="case reopen")
        return case.id

    def check_open(self, name: str) -> None:
        case = self._repo.by_name(name.strip())
        if case is not None and case.status == "closed":
            raise WorkstationError(
                f"The case {case.name!r} is closed; reopen it ({{how}}) "
                "to add to it.", how="case reopen")


def clean_name(name: str, what: str) -> str:
    """``name`` with runs of white space folded; refused when empty or over 200 characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise WorkstationError(f"The {what} must not be empty.")
    if len(cleaned) > 200:
        raise WorkstationError(f"The {what} is too long (at most 200 characters).")
    return cleaned


_SUMMARIES = {
    "case.create": "Case created ({name})",
    "case.rename": "Case renamed from {old} to {new}",
    "case.close": "Case closed",
    "case.reopen": "Case reopened",
    "capture.import": "{what} imported",
    "capture.edit": "{what} edited",
    "capture.tag": "{what} tagged",
    "capture.untag": "{what} untagged",
    "ocr.run": "{what} read (OCR)",
    "indicator.confirm": "{what}: indicator {normalized} confirmed",
    "indicator.reject": "{what}: indicator {normalized} rejected",
    "indicator.reset": "{what}: review of {normalized} reset",
    "exhibit.assign": "{what}: exhibit reference {ref} assigned",
    "pack.create": "Pack {ref} created",
    "pack.seal": "Pack {ref} sealed",
    "pack.queue": "Pack {ref} queued",
    "pack.sending": "Pack {ref} being sent",
    "pack.send": "Pack {ref} sent",
    "pack.send_failed": "Pack {ref}: sending failed",
    "pack.send_uncertain": "Pack {ref}: delivery uncertain",
    "pack.outcomes": "Pack {ref}: outcomes recorded",
    "capture.redact": "{what}: redacted copy made",
    "report.create": "Case report made ({format})",
    "timestamp.queue": "Trusted timestamp requested for {of}",
    "timestamp.stamped": "Trusted timestamp received for {of}",
}


def summarize(action: str, subject: str, details: dict[str, Any], case_id: int) -> str:
    """A one-line description of an audit entry for the case's timeline."""
    kind, _, ident = subject.partition(":")
    values: dict[str, Any] = {k: v for k, v in details.items() if isinstance(v, str | int)}
    values.setdefault("ref", ident)
    values["what"] = f"Capture #{ident}" if kind == "capture" else subject
    if action == "case.move":
        moved = ", ".join(f"#{i}" for i in details.get("captures", []))
        if str(case_id) == ident:
            return f"Captures {moved} moved into the case"
        return f"Captures {moved} moved to the case {details.get('name')}"
    template = _SUMMARIES.get(action)
    if template is None:
        noun = "Redaction" if action.startswith("redaction") else (
            "Report" if action.startswith("report") else subject)
        return f"{noun}: {action}"
    try:
        return template.format_map(_Missing(values))
    except (ValueError, IndexError):
        return action


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"
