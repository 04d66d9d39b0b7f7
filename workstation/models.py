"""Dataclasses that cross the core's boundary (to the CLI and the UI).

They are plain values: no database handles, no Qt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    name: str
    status: str
    created_at: str
    capture_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Capture:
    """One piece of evidence: an original image and what is known about it."""

    id: int
    sha256: str
    md5: str
    size: int
    format: str
    width: int
    height: int
    captured_at: str
    captured_at_source: str
    imported_at: str
    analyst: str
    capture_method: str
    original_filename: str | None
    source_url: str | None
    platform: str | None
    handle: str | None
    content_id: str | None
    case_id: int | None
    case: str | None
    notes: str
    app_version: str
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data


#: Capture fields an analyst may change after import (all audited).
EDITABLE_FIELDS = ("source_url", "platform", "handle", "content_id", "notes", "captured_at", "case")


@dataclass(slots=True)
class CaptureMeta:
    """What the analyst says about a capture when it is taken."""

    case: str | None = None
    source_url: str | None = None
    platform: str | None = None
    handle: str | None = None
    content_id: str | None = None
    notes: str = ""
    captured_at: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The outcome of importing one file: ``imported``, ``duplicate`` or ``rejected``."""

    path: str
    status: str
    id: int | None = None
    sha256: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def message(self) -> str:
        if self.status == "imported":
            return f"imported as #{self.id}"
        if self.status == "duplicate":
            return f"already captured as #{self.id}"
        return f"rejected: {self.error}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    analyst: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing ``verify`` found wrong."""

    kind: str  # evidence-missing, evidence-altered, audit-altered, audit-deleted, ...
    message: str
    capture_id: int | None = None
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class VerifyReport:
    captures_checked: int = 0
    entries_checked: int = 0
    unreferenced_files: int = 0
    problems: list[Problem] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.cancelled

    def summary(self) -> str:
        if self.cancelled:
            return "Verification cancelled before it finished."
        if self.ok:
            return (
                f"OK: {self.captures_checked} evidence files match their SHA-256; "
                f"audit trail of {self.entries_checked} entries is intact."
            )
        return (
            f"PROBLEMS FOUND: {len(self.problems)} problem(s) in {self.captures_checked} "
            f"evidence files and {self.entries_checked} audit entries."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "captures_checked": self.captures_checked,
            "entries_checked": self.entries_checked,
            "unreferenced_files": self.unreferenced_files,
            "cancelled": self.cancelled,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class WorkspaceStatus:
    path: str
    schema_version: int
    app_version: str
    analyst: str
    captures: int
    cases: int
    open_cases: int
    audit_entries: int
    evidence_bytes: int
    readonly: bool
    search_ranking: str = ""
    #: encrypted at rest (SQLCipher and encrypted files; a passphrase opens it)
    encrypted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
