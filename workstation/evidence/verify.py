"""``verify``: re-hash every evidence file, walk the audit chain and replay it against
the tables, so a changed byte or a record edited outside the application is reported."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from workstation.context import Context
from workstation.evidence.exhibits import check_exhibits
from workstation.evidence.thumbs import check_thumbnail
from workstation.evidence.verify_indicators import compare_indicators, hint_sets
from workstation.evidence.verify_records import compare_records
from workstation.evidence.verify_reviews import compare_reviews
from workstation.exchange.verify_colleagues import compare_colleagues
from workstation.exchange.verify_imports import compare_imports
from workstation.models import (
    AuditEntry,
    Problem,
    VerifyReport,
)
from workstation.packs.trail import TrailState
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.redaction.check import check_redactions
from workstation.storage.exhibits_repo import ExhibitsRepo
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.reading_repo import ReadingRepo, run_params
from workstation.storage.repositories import CAPTURE_COLUMNS, CaptureRepo, CaseRepo
from workstation.storage.reviews_repo import ReviewsRepo
from workstation.timestamps.check import check_timestamps


class Verifier:
    """Checks one workspace: evidence bytes, the audit chain, the tables against the trail."""

    def __init__(self, ctx: Context, captures_repo: CaptureRepo, cases_repo: CaseRepo,
                 reading_repo: ReadingRepo, packs_repo: PacksRepo | None = None) -> None:
        self._ctx = ctx
        self._captures_repo = captures_repo
        self._cases_repo = cases_repo
        self._reading_repo = reading_repo
        self._packs_repo = packs_repo or PacksRepo(ctx.conn)

    def verify(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
        *, thumbnails: bool = False,
    ) -> VerifyReport:
        """Re-hash every evidence file, walk the audit chain, and replay it against the tables.

        ``thumbnails`` also remakes every cached thumbnail from its original and replaces one
        that differs: about 40 ms a capture (decoding the original), so an hour at 100,000
        captures against about a minute without.  Without it a swapped thumbnail still
        never reaches a report: sealing uses a cached thumbnail only while its bytes match
        the hash recorded at import (compared with the audit trail here), and otherwise
        makes the preview from the verified original."""
        result = VerifyReport()
        rows = self._captures_repo.raw_rows()
        total = len(rows)
        for done, row in enumerate(rows):
            if cancel is not None and cancel.cancelled:
                result.cancelled = True
                return result
            report(progress, done, total, f"capture #{row['id']}")
            problem = self._ctx.store.verify(row["sha256"])
            if problem:
                kind = "evidence-missing" if "missing" in problem else "evidence-altered"
                result.problems.append(
                    Problem(kind, f"capture #{row['id']}: {problem}", capture_id=row["id"])
                )
            elif thumbnails:
                result.problems += check_thumbnail(self._ctx, row)
            result.captures_checked += 1
        report(progress, total, total, "audit trail")
        result.entries_checked, chain_problems = self._ctx.audit.verify_chain()
        result.problems += chain_problems
        result.problems += self._replay_audit(rows)
        result.problems += check_redactions(self._ctx, self._captures_repo)
        result.problems += check_timestamps(self._ctx)  # stamped tokens still verify
        result.problems += check_exhibits(ExhibitsRepo(self._ctx.conn))
        result.problems += compare_imports(self._ctx)
        result.problems += compare_colleagues(self._ctx)  # workstation/exchange/
        referenced = {row["sha256"] for row in rows}
        result.unreferenced_files = sum(1 for h in self._ctx.store.all_hashes()
                                        if h not in referenced)
        return result

    def _replay_audit(self, rows: list[Any]) -> list[Problem]:
        """Compare the tables with the state the audit trail describes."""
        state, records = self._expected_state()
        problems = self._compare_captures(rows, state)
        problems += self._compare_thumbnail_hashes(state.thumbnails)
        problems += self._compare_ocr_runs(state.ocr_runs)
        problems += self._compare_cases(state.cases)
        problems += compare_records(self._ctx, self._packs_repo, records)
        audited = [{"id": r["id"], **{k: state.captures.get(r["id"], {}).get(k, r[k])
                                      for k in ("notes", "source_url", "handle")}}
                   for r in rows]  # read again from the audited texts, not the row's
        joined = {run for run, (_cid, entry) in state.ocr_runs.items() if "coverage" in entry}
        problems += compare_indicators(
            audited, self._reading_repo,
            hint_sets(records.setting_history.get("region_hints", [])), joined)
        problems += compare_reviews(self._ctx, ReviewsRepo(self._ctx.conn))
        return problems

    def _expected_state(self) -> tuple[_AuditState, TrailState]:
        """Replay every audit entry into the state the tables should be in."""
        state, records = _AuditState(), TrailState()
        for row in self._ctx.audit.iter_all():
            _kind, _, ident = row["subject"].partition(":")
            try:
                details = json.loads(row["details"])
            except ValueError:
                continue
            if not isinstance(details, dict):
                continue
            records.apply(AuditEntry(row["seq"], row["at"], row["analyst"], row["action"],
                                     row["subject"], details, row["prev_hash"], row["hash"]))
            if ident.isdigit():
                state.apply(row["action"], int(ident), details)
        return state, records

    def _compare_captures(self, rows: list[Any], state: _AuditState) -> list[Problem]:
        """Report captures added, altered, re-tagged or deleted outside the application."""
        problems: list[Problem] = []
        expected = state.captures
        actual_tags = self._captures_repo.all_tags()
        seen: set[int] = set()
        for row in rows:
            cid = row["id"]
            seen.add(cid)
            if cid not in expected:
                problems.append(Problem(
                    "record-unaudited",
                    f"capture #{cid} has no import entry in the audit trail (added outside "
                    "the application)", capture_id=cid))
                continue
            for column in CAPTURE_COLUMNS:
                if column in expected[cid] and row[column] != expected[cid][column]:
                    problems.append(Problem(
                        "record-altered",
                        f"capture #{cid}: {column} is {row[column]!r} in the database but "
                        f"{expected[cid][column]!r} according to the audit trail",
                        capture_id=cid))
            if actual_tags.get(cid, set()) != state.tags.get(cid, set()):
                problems.append(Problem(
                    "record-altered",
                    f"capture #{cid}: tags differ from the audit trail", capture_id=cid))
        for cid in sorted(set(expected) - seen):
            problems.append(Problem(
                "record-deleted",
                f"capture #{cid} is in the audit trail but missing from the database",
                capture_id=cid))
        return problems

    def _compare_thumbnail_hashes(self, audited: dict[int, str]) -> list[Problem]:
        """Report a recorded thumbnail hash (what lets sealing use the cached thumbnail)
        that differs from its ``capture.import`` entry, or that no entry records."""
        problems: list[Problem] = []
        actual = self._captures_repo.thumbnail_hashes()
        for cid, sha256 in sorted(actual.items()):
            want = audited.get(cid)
            if sha256 != want:
                problems.append(Problem(
                    "record-altered", f"thumbnail_hashes row {cid} (capture #{cid}): "
                    f"{sha256!r} in the database but "
                    + (f"{want!r} according to the audit trail" if want else
                       "the audit trail records no thumbnail hash"), capture_id=cid))
        for cid in sorted(set(audited) - set(actual)):
            problems.append(Problem(
                "record-deleted", f"thumbnail_hashes row {cid} (capture #{cid}) is in the "
                "audit trail but missing from the database", capture_id=cid))
        return problems

    def _compare_ocr_runs(self, ocr_runs: dict[int, tuple[int, dict[str, Any]]]
                          ) -> list[Problem]:
        """Report OCR runs whose text (or what was found of the page) is unaudited,
        altered or missing."""
        problems: list[Problem] = []
        pending = dict(ocr_runs)
        for row in self._reading_repo.all_run_summaries():
            run_id, capture_id = row["id"], row["capture_id"]
            recorded = pending.pop(run_id, None)
            digest = hashlib.sha256(row["text"].encode("utf-8")).hexdigest()
            if recorded is None:
                problems.append(Problem(
                    "record-unaudited", f"OCR run {run_id} of capture #{capture_id} has no audit "
                    "entry", capture_id=capture_id))
            elif (recorded[0], recorded[1].get("text_sha256")) != (capture_id, digest):
                problems.append(Problem(
                    "record-altered", f"OCR run {run_id} of capture #{capture_id} differs from "
                    "the audit trail", capture_id=capture_id))
            else:
                problems += [Problem(
                    "record-altered", f"OCR run {run_id} of capture #{capture_id}: {column} "
                    "differs from the audit trail", capture_id=capture_id)
                    for column in _run_columns_altered(row, recorded[1])]
        for run_id, (capture_id, _digest) in sorted(pending.items()):
            problems.append(Problem(
                "record-deleted", f"OCR run {run_id} of capture #{capture_id} is missing",
                capture_id=capture_id))
        return problems

    def _compare_cases(self, cases: dict[int, dict[str, Any]]) -> list[Problem]:
        """Report cases deleted, altered or created outside the application."""
        problems: list[Problem] = []
        actual_cases = {c.id: c for c in self._cases_repo.all_cases()}
        for case_id, want in cases.items():
            have = actual_cases.get(case_id)
            if have is None:
                problems.append(Problem("record-deleted", f"case #{case_id} deleted"))
            elif (have.name, have.status) != (want["name"], want["status"]):
                problems.append(Problem(
                    "record-altered", f"case #{case_id} differs from the audit trail"))
        for case_id in set(actual_cases) - set(cases):
            problems.append(Problem("record-unaudited", f"case #{case_id} has no audit entry"))
        return problems


def _run_columns_altered(row: Any, entry: dict[str, Any]) -> list[str]:
    """The columns of a run that differ from what its ``ocr.run`` entry records of
    them: the parameters, the advert's languages, the coverage and the unread regions
    (all of them since they were recorded; before, only their number).  Entries from
    before 0005 record none of the last three."""
    altered = []
    if "params" in entry and run_params(row["params"]) != entry["params"]:
        altered.append("params")
    if "advert_languages" in entry and row["advert_languages"] != (entry["advert_languages"]
                                                                   or ""):
        altered.append("advert_languages")
    if "coverage" in entry and row["coverage"] != entry["coverage"]:
        altered.append("coverage")
    try:
        unread = json.loads(row["unread"] or "[]")
    except ValueError:
        unread = None
    if "unread_boxes" in entry:
        if unread != entry["unread_boxes"]:
            altered.append("unread")
    elif "unread" in entry and (not isinstance(unread, list) or len(unread) != entry["unread"]):
        altered.append("unread")
    return altered


@dataclass
class _AuditState:
    """The captures, tags, OCR runs and cases the audit trail says should exist."""

    captures: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[int, set[str]] = field(default_factory=dict)
    cases: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: run id -> (capture id, the details of its ``ocr.run`` entry)
    ocr_runs: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: capture id -> the SHA-256 its import recorded of its thumbnail (since 0008)
    thumbnails: dict[int, str] = field(default_factory=dict)

    def apply(self, action: str, subject_id: int, details: dict[str, Any]) -> None:
        """Fold one audit entry into the expected state."""
        if action == "capture.import":
            self.captures[subject_id] = dict(details.get("record", {}))
            self.tags[subject_id] = set(details.get("tags", []))
            if isinstance(details.get("thumbnail_sha256"), str):  # since 0008
                self.thumbnails[subject_id] = details["thumbnail_sha256"]
        elif action == "capture.edit" and subject_id in self.captures:
            for key, change in details.get("changes", {}).items():
                self.captures[subject_id][key] = change.get("new")
                if key == "captured_at":
                    self.captures[subject_id]["captured_at_source"] = "analyst"
        elif action == "capture.tag":
            self.tags.setdefault(subject_id, set()).update(details.get("added", []))
        elif action == "capture.untag":
            self.tags.setdefault(subject_id, set()).difference_update(details.get("removed", []))
        elif action == "ocr.run":
            self.ocr_runs[int(details.get("run", 0))] = (subject_id, details)
        elif action == "case.create":
            self.cases[subject_id] = {"name": details.get("name"), "status": "open"}
        elif action in ("case.close", "case.reopen") and subject_id in self.cases:
            self.cases[subject_id]["status"] = details.get("new")
        elif action == "case.rename" and subject_id in self.cases:
            self.cases[subject_id]["name"] = details.get("new")
        elif action == "case.move":  # captures moved into case subject_id (one entry)
            for cid in details.get("captures", []):
                if cid in self.captures:
                    self.captures[cid]["case_id"] = subject_id
