"""What the timestamp service hands out: records, authorities, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TimestampRecord:
    """One queued or stamped RFC 3161 request (a ``timestamps`` row).

    ``verifier`` is the verifier that accepted the token when it arrived
    ('rfc3161-client' or 'openssl'; None while queued)."""

    id: int
    kind: str
    subject: str
    digest: str
    request: bytes
    nonce: int
    queued_at: str
    queued_by: str
    state: str
    tsa_url: str | None
    response: bytes | None
    gen_time: str | None
    stamped_at: str | None
    last_error: str | None
    verifier: str | None = None

    @property
    def stamped(self) -> bool:
        return self.state == "stamped" and self.response is not None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "subject": self.subject,
                "digest": self.digest, "state": self.state, "queued_at": self.queued_at,
                "queued_by": self.queued_by, "tsa": self.tsa_url, "gen_time": self.gen_time,
                "stamped_at": self.stamped_at, "verifier": self.verifier,
                "last_error": self.last_error}


@dataclass(frozen=True, slots=True)
class Authority:
    """A configured time-stamping authority (a ``tsa_authorities`` row)."""

    id: int
    url: str
    ca_pem: str
    position: int
    added_at: str
    added_by: str
    removed_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "position": self.position,
                "added_at": self.added_at, "added_by": self.added_by,
                "removed_at": self.removed_at}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """An offline check of one token: ``ok`` with the verifier that accepted it (and the
    TSA's time), else ``error`` (both verifiers' reasons, one line)."""

    timestamp_id: int
    ok: bool
    verifier: str | None
    gen_time: str | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.timestamp_id, "ok": self.ok, "verifier": self.verifier,
                "gen_time": self.gen_time, "error": self.error}


@dataclass(slots=True)
class SendSummary:
    """What one ``send`` did: ids stamped, ids still queued with their last error."""

    stamped: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    cancelled: bool = False

    @property
    def line(self) -> str:
        parts = [f"{len(self.stamped)} timestamp(s) received"]
        if self.failed:
            first = next(iter(self.failed.values()))
            parts.append(f"{len(self.failed)} still queued ({first})")
        if self.cancelled:
            parts.append("cancelled")
        return "; ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {"stamped": self.stamped, "failed": {str(k): v for k, v in self.failed.items()},
                "cancelled": self.cancelled}
