"""Merging a verified case bundle into this workspace, by SHA-256.

An original already here is not stored twice, and what the bundle says of it that
differs from what this workspace holds (notes, source, tags, case, exhibit reference)
is reported as a conflict -- never written over.  New captures come in with the
sender's metadata as it was (the capture's time, analyst, method, notes), their OCR
runs as read there (this workspace reads its own indicators from that text), the
verdicts on them, their exhibit reference when it is free here, and their redaction
logs, applied again to the verified original.  The originals are staged and decoded
first (progress, cancel); then everything is written in one transaction with one
``case.import`` entry naming the sender, the bundle's SHA-256 and the sender's audit
head -- a failure anywhere leaves the workspace as it was.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from workstation.context import Context
from workstation.errors import Cancelled, NotFound, WorkstationError
from workstation.evidence.cases import CaseService
from workstation.evidence.exhibits import ExhibitService
from workstation.evidence.intake import Intake, Received
from workstation.exchange.bundle import RECORDS
from workstation.exchange.opening import BundleRefused, OpenedBundle
from workstation.exchange.records import CAPTURE_FIELDS, RUN_FIELDS
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.review import ReviewService
from workstation.reading.service import ReadingService
from workstation.redaction.model import Box
from workstation.redaction.service import RedactionService
from workstation.storage.audit import canonical_json
from workstation.storage.exchange_repo import ExchangeRepo
from workstation.storage.repositories import CaptureRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

#: What a capture already here is compared on (the rest is fixed by its bytes).
COMPARED = ("captured_at", "original_filename", "source_url", "platform", "handle",
            "content_id", "notes")


@dataclass(frozen=True, slots=True)
class Conflict:
    """Something the bundle says that differs from this workspace (which is kept)."""

    sha256: str
    capture_id: int | None
    field: str
    here: Any
    bundle: Any

    @property
    def message(self) -> str:
        who = f"capture #{self.capture_id}" if self.capture_id else self.sha256[:12]
        return f"{who}: {self.field} is {self.here!r} here, {self.bundle!r} in the bundle " \
               "(kept as it is here)"


@dataclass(slots=True)
class MergeSummary:
    """What an import did."""

    case: str
    sender: str
    bundle_sha256: str
    colleague: str = ""
    case_created: bool = False
    already_imported: bool = False
    import_id: int | None = None
    added: list[int] = field(default_factory=list)
    present: list[int] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    ocr_runs: int = 0
    verdicts: int = 0
    exhibits: int = 0
    redactions: int = 0
    timestamps: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["conflicts"] = [{**asdict(c), "message": c.message} for c in self.conflicts]
        return data


class Merger:
    """Merges one opened, verified bundle (:func:`workstation.exchange.opening.open_bundle`)."""

    def __init__(self, ctx: Context, repo: ExchangeRepo, captures_repo: CaptureRepo,
                 cases: CaseService, intake: Intake, reading: ReadingService,
                 review: ReviewService, exhibits: ExhibitService,
                 redactions: RedactionService) -> None:
        self._ctx = ctx
        self._repo = repo
        self._captures = captures_repo
        self._cases = cases
        self._intake = intake
        self._reading = reading
        self._review = review
        self._exhibits = exhibits
        self._redactions = redactions
        #: the redacted copies made by the merge under way (removed if it fails)
        self._copies: list[str] = []

    def merge(self, opened: OpenedBundle, colleague: tuple[int, str], *,
              cancel: CancelToken | None = None,
              progress: ProgressCallback | None = None) -> MergeSummary:
        records = opened.records
        summary = MergeSummary(str(records["case"]["name"]), str(records.get("exported_by")),
                               opened.sha256, colleague[1])
        earlier = self._repo.import_of(opened.sha256)
        if earlier is not None:
            summary.already_imported = True
            summary.import_id = int(earlier["id"])
            return summary
        self._cases.check_open(summary.case)
        self._copies = []
        staged: list[tuple[dict[str, Any], Received]] = []
        try:
            self._stage(opened, summary, staged, cancel, progress)
            try:
                with self._ctx.write():
                    self._write(opened, colleague, summary, staged)
            except (KeyError, TypeError, ValueError, sqlite3.IntegrityError) as exc:
                raise WorkstationError(f"The case bundle's records cannot be merged "
                                       f"({type(exc).__name__}: {exc}); nothing was "
                                       "changed.") from None
        except BaseException:
            for _capture, received in staged:
                self._intake.discard_received(received)
            for sha256 in self._copies:  # made for the merge that was rolled back
                self._redactions.remove_unreferenced_copy(sha256)
            raise
        for _capture, received in staged:
            self._intake.finish_received(received)
        return summary

    # ------------------------------------------------------------------ staging
    def _stage(self, opened: OpenedBundle, summary: MergeSummary,
               staged: list[tuple[dict[str, Any], Received]], cancel: CancelToken | None,
               progress: ProgressCallback | None) -> None:
        captures = opened.records["captures"]
        total = sum(int(c.get("size") or 0) for c in captures)
        done = 0
        for capture in captures:
            if cancel is not None and cancel.cancelled:
                raise Cancelled("The case import was stopped; nothing was changed.")
            report(progress, done, total, capture["file"])
            done += int(capture.get("size") or 0)
            here = self._captures.id_for_sha256(capture["sha256"])
            if here is not None:
                summary.present.append(here)
                summary.conflicts += self._compare(here, capture, summary.case)
                continue
            with opened.open_member(capture["file"]) as source:
                try:
                    received = self._intake.stage_received(source, capture["sha256"])
                except WorkstationError as exc:
                    raise WorkstationError(f"The original {capture['sha256']} cannot be "
                                           f"taken in: {exc}. Nothing was changed.") from None
            staged.append((capture, received))
            wrong = sorted(k for k, v in received.facts.items() if capture.get(k) != v)
            if wrong:
                raise BundleRefused("changed-file", f"case.json records the {', '.join(wrong)} "
                                    f"of the original {capture['sha256']} otherwise than its "
                                    "bytes say")
        report(progress, total, total, RECORDS)

    def _compare(self, capture_id: int, capture: dict[str, Any], case: str) -> list[Conflict]:
        here = self._captures.get(capture_id)
        assert here is not None
        sha = capture["sha256"]
        found = [Conflict(sha, capture_id, name, getattr(here, name), capture.get(name))
                 for name in COMPARED if getattr(here, name) != capture.get(name)]
        if sorted(here.tags) != sorted(capture.get("tags") or []):
            found.append(Conflict(sha, capture_id, "tags", sorted(here.tags),
                                  sorted(capture.get("tags") or [])))
        if here.case != case:
            found.append(Conflict(sha, capture_id, "case", here.case, case))
        theirs = (capture.get("exhibit") or {}).get("ref")
        mine = self._exhibits.ref_for(capture_id)
        if theirs and mine != theirs:
            found.append(Conflict(sha, capture_id, "exhibit", mine, theirs))
        return found

    # ------------------------------------------------------------------ writing
    def _write(self, opened: OpenedBundle, colleague: tuple[int, str], summary: MergeSummary,
               staged: list[tuple[dict[str, Any], Received]]) -> None:
        """Inside the write: the case, the new captures and what they carry, the import."""
        ctx = self._ctx
        records = opened.records
        existed = self._cases.exists(summary.case)
        case_id = self._cases.id_for(summary.case, create=True)
        assert case_id is not None
        summary.case_created = not existed
        origin = {"bundle_sha256": opened.sha256, "sender": summary.sender,
                  "workspace": records["workspace"]["id"]}
        for capture, received in staged:
            record = {name: capture.get(name) for name in CAPTURE_FIELDS}
            capture_id = self._intake.record_received(
                received, record, case_id, capture.get("tags") or [],
                {"case": summary.case, "source": f"case bundle {opened.sha256[:16]}",
                 "received": origin})
            summary.added.append(capture_id)
            self._carry(capture_id, capture, summary)
        tokens = [{**{k: s.get(k) for k in ("kind", "subject", "digest", "gen_time",
                                             "tsa_url")},
                   "response": base64.b64encode(opened.read(s["file"])).decode("ascii")}
                  for s in records.get("timestamps") or []]
        summary.timestamps = len(tokens)
        head = records["workspace"]["audit_head"]
        segment = records["audit"]["entries"]
        summary.import_id = self._repo.insert_import({
            "bundle_sha256": opened.sha256, "case_id": case_id,
            "colleague_id": colleague[0], "sender": summary.sender,
            "workspace_id": records["workspace"]["id"], "foreign_head": head,
            "records_sha256": opened.digests[RECORDS].sha256, "segment": segment,
            "summary": _counts(summary), "tokens": tokens,
            "imported_at": utc_now(), "imported_by": ctx.analyst})
        ctx.audit.append(ctx.analyst, "case.import", f"case:{case_id}", {
            "import": summary.import_id, "bundle_sha256": opened.sha256,
            "sender": summary.sender, "colleague": colleague[0],
            "signer_key_id": opened.signer_key_id, "workspace": records["workspace"]["id"],
            "foreign_head": head, "records_sha256": opened.digests[RECORDS].sha256,
            "segment_sha256": hashlib.sha256(canonical_json(segment).encode()).hexdigest(),
            "added": sorted(c["sha256"] for c, _r in staged),
            "present": len(summary.present), "conflicts": len(summary.conflicts),
            "timestamps": len(tokens),
            "tokens_sha256": hashlib.sha256(canonical_json(tokens).encode()).hexdigest()})

    def _carry(self, capture_id: int, capture: dict[str, Any], summary: MergeSummary) -> None:
        """What travels with a new capture: OCR runs, verdicts, exhibit, redactions."""
        sha = capture["sha256"]
        received = {"received_from": summary.sender}
        for run in capture.get("ocr_runs") or []:
            fields = {k: run.get(k) for k in RUN_FIELDS}
            fields["params"] = fields["params"] or {}
            fields["words"] = fields["words"] or []
            fields["unread"] = [list(b) for b in fields["unread"] or []]
            fields["advert_languages"] = str(fields["advert_languages"] or "")
            fields["duration"] = float(fields["duration"] or 0)
            self._reading.save_run(capture_id, fields, str(run.get("created_at")),
                                   str(run.get("analyst")), received)
            summary.ocr_runs += 1
        for verdict in capture.get("reviews") or []:
            note = (f"{verdict.get('analyst')}'s verdict of {verdict.get('reviewed_at')}, "
                    "received in a case bundle")
            try:
                self._review.record_within(capture_id, str(verdict["kind"]),
                                           str(verdict["normalized"]),
                                           str(verdict["verdict"]), note)
                summary.verdicts += 1
            except NotFound:
                summary.conflicts.append(Conflict(
                    sha, capture_id, f"verdict on {verdict['kind']} {verdict['normalized']}",
                    None, verdict["verdict"]))
        ref = (capture.get("exhibit") or {}).get("ref")
        if ref:
            try:
                self._exhibits.assign_within(capture_id, ref)
                summary.exhibits += 1
            except WorkstationError:
                summary.conflicts.append(Conflict(sha, capture_id, "exhibit",
                                                  "used here by another capture", ref))
        for redaction in capture.get("redactions") or []:
            made = self._redactions.redact(
                capture_id, [Box.from_dict(b) for b in redaction.get("boxes") or []],
                details={"received": {"from": summary.sender,
                                      "created_by": redaction.get("created_by"),
                                      "created_at": redaction.get("created_at"),
                                      "sha256": redaction.get("sha256")}})
            self._copies.append(made.sha256)
            summary.redactions += 1
            if made.sha256 != redaction.get("sha256"):
                summary.conflicts.append(Conflict(sha, capture_id, "redacted copy",
                                                  made.sha256, redaction.get("sha256")))


def _counts(summary: MergeSummary) -> dict[str, Any]:
    return {"added": len(summary.added), "present": len(summary.present),
            "conflicts": [c.message for c in summary.conflicts],
            "ocr_runs": summary.ocr_runs, "verdicts": summary.verdicts,
            "exhibits": summary.exhibits, "redactions": summary.redactions,
            "case_created": summary.case_created}
