"""What a case bundle says of its case: ``case.json`` (docs/case-exchange.md), gathered
from the workspace, and the files that go with it (originals, redacted copies,
timestamp tokens), each with the SHA-256 it must have when it is read for the bundle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workstation import __version__
from workstation.context import Context
from workstation.models import Capture, Case
from workstation.reading.service import ReadingService
from workstation.redaction.service import RedactionService
from workstation.storage.anchor import workspace_id
from workstation.storage.exchange_repo import ExchangeRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

FORMAT = "analyst-workstation-case/1"

#: The metadata of a capture that travels, as the ``captures`` table holds it.
CAPTURE_FIELDS = (
    "sha256", "md5", "size", "format", "width", "height", "captured_at",
    "captured_at_source", "imported_at", "analyst", "capture_method", "original_filename",
    "source_url", "platform", "handle", "content_id", "notes", "app_version",
)

#: The columns of an OCR run that travel.
RUN_FIELDS = ("engine", "engine_version", "languages", "params", "text", "words",
              "confidence", "duration", "created_at", "analyst", "advert_languages",
              "coverage", "unread")


@dataclass(frozen=True, slots=True)
class FileMember:
    """A file of the bundle read from the workspace: ``path`` must hash to ``sha256``."""

    name: str
    path: Path
    sha256: str
    size: int


@dataclass(slots=True)
class Gathered:
    """``case.json``'s content and the members to add beside it."""

    records: dict[str, Any]
    files: list[FileMember] = field(default_factory=list)
    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    @property
    def evidence_bytes(self) -> int:
        return sum(f.size for f in self.files)


def evidence_name(sha256: str) -> str:
    return f"evidence/{sha256}"


def redacted_name(sha256: str) -> str:
    return f"redacted/{sha256}.png"


class Gatherer:
    """Reads one case's records for its bundle."""

    def __init__(self, ctx: Context, repo: ExchangeRepo, reading: ReadingService,
                 redactions: RedactionService) -> None:
        self._ctx = ctx
        self._repo = repo
        self._reading = reading
        self._redactions = redactions

    def gather(self, case: Case, captures: list[Capture], signing_key_id: str) -> Gathered:
        ctx = self._ctx
        head = ctx.audit.head()
        gathered = Gathered(records={
            "format": FORMAT,
            "exported_at": utc_now(),
            "exported_by": ctx.analyst,
            "app_version": __version__,
            "workspace": {
                "id": workspace_id(ctx.conn) or "",
                "signing_key_id": signing_key_id,
                "audit_head": {"seq": head.seq, "hash": head.sha256} if head else None,
            },
            "case": {"name": case.name, "status": case.status, "created_at": case.created_at},
        })
        gathered.records["captures"] = [self._capture(c, gathered) for c in captures]
        subjects = [f"case:{case.id}"] + [f"capture:{c.id}" for c in captures]
        entries = self._repo.entries_about(subjects)
        gathered.records["timestamps"] = self._timestamps(case, captures, entries, gathered)
        gathered.records["audit"] = {
            "entries": [_entry(row) for row in entries],
            "chain": [[seq, digest] for seq, digest in self._repo.chain()],
        }
        return gathered

    def _capture(self, capture: Capture, gathered: Gathered) -> dict[str, Any]:
        data = {name: getattr(capture, name) for name in CAPTURE_FIELDS}
        data["file"] = evidence_name(capture.sha256)
        data["tags"] = sorted(capture.tags)
        gathered.files.append(FileMember(data["file"], self._ctx.store.path_for(capture.sha256),
                                         capture.sha256, capture.size))
        exhibit = self._repo.exhibit(capture.id)
        data["exhibit"] = dict(exhibit) if exhibit is not None else None
        data["ocr_runs"] = [{k: getattr(r, k) for k in RUN_FIELDS}
                            for r in self._reading.ocr_history(capture.id)]
        data["indicators"] = [{
            "kind": i.kind, "value": i.value, "normalized": i.normalized, "source": i.source,
            "box": list(i.box) if i.box else None, "status": i.status,
        } for i in self._reading.indicators(capture.id)]
        data["reviews"] = [dict(row) for row in self._repo.reviews(capture.id)]
        data["redactions"] = []
        for redaction in self._redactions.history(capture.id):
            path = self._redactions.copy_path(redaction)  # remade when missing, checked
            name = redacted_name(redaction.sha256)
            data["redactions"].append({
                "original_sha256": redaction.original_sha256, "sha256": redaction.sha256,
                "boxes": [b.to_dict() for b in redaction.boxes],
                "log_sha256": redaction.log_sha256, "method": redaction.method,
                "created_at": redaction.created_at, "created_by": redaction.created_by,
                "file": name})
            if name not in gathered.names:
                gathered.names.add(name)
                gathered.files.append(FileMember(name, path, redaction.sha256,
                                                 path.stat().st_size))
        return data

    def _timestamps(self, case: Case, captures: list[Capture], entries: list[sqlite3.Row],
                    gathered: Gathered) -> list[dict[str, Any]]:
        """The stamped tokens over the case's reports, the packs holding its captures,
        and the audit heads that cover its entries."""
        reports = set()
        for row in entries:
            if row["action"] == "report.create":
                digest = json.loads(row["details"]).get("sha256")
                if isinstance(digest, str):
                    reports.add(f"report:{digest}")
        packs = {f"pack:{pid}" for pid in self._repo.pack_ids_with(c.id for c in captures)}
        rows = self._repo.stamped(reports | packs)
        rows += self._repo.covering_audit(int(r["seq"]) for r in entries)
        out = []
        for row in sorted({int(r["id"]): r for r in rows}.values(), key=lambda r: r["id"]):
            name = f"timestamps/{row['id']}.tsr"
            gathered.blobs.append((name, bytes(row["response"])))
            out.append({"kind": row["kind"], "subject": row["subject"], "digest": row["digest"],
                        "gen_time": row["gen_time"], "tsa_url": row["tsa_url"], "file": name})
        return out


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    return {"seq": int(row["seq"]), "at": row["at"], "analyst": row["analyst"],
            "action": row["action"], "subject": row["subject"],
            "details": json.loads(row["details"]), "prev_hash": row["prev_hash"],
            "hash": row["hash"]}
