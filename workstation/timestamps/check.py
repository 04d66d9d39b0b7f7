"""``verify`` of trusted timestamps: every stamped token is checked offline again (in-app
with ``rfc3161-client``, else ``openssl ts -verify``) against its TSA's CA, and the
stored response against the SHA-256 its ``timestamp.stamped`` audit entry recorded."""

from __future__ import annotations

import hashlib

from workstation.context import Context
from workstation.models import Problem
from workstation.storage.timestamps_repo import TimestampsRepo
from workstation.timestamps.service import TimestampService


def check_timestamps(ctx: Context) -> list[Problem]:
    """The stamped tokens that no longer verify, or differ from what was received."""
    repo = TimestampsRepo(ctx.conn)
    service = TimestampService(ctx, repo)
    audited = repo.stamped_details()
    problems: list[Problem] = []
    for record in service.all(state="stamped"):
        what = f"timestamp #{record.id} ({record.subject})"
        entry = audited.get(record.id)
        received = hashlib.sha256(record.response or b"").hexdigest()
        if entry is None:
            problems.append(Problem("record-unaudited", f"{what} has no timestamp.stamped "
                                    "audit entry (added outside the application)"))
            continue
        if entry.get("response_sha256") != received or entry.get("digest") != record.digest:
            problems.append(Problem("record-altered", f"{what}: the stored token differs from "
                                    "the one received (audit trail)"))
            continue
        result = service.verify(record)
        if not result.ok:
            problems.append(Problem("timestamp-invalid",
                                    f"{what} no longer verifies: {result.error}"))
    return problems
