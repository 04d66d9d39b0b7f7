"""``verify`` of redacted copies: each row against its ``capture.redact`` audit entry,
its log against its recorded SHA-256, the log applied again to the verified original
against the copy's recorded SHA-256, and the stored copy against it.  A stored copy
that differs is reported, never replaced here (it may be what a report carried); one
that is missing is made again when first used (``RedactionService.read_copy``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workstation.context import Context
from workstation.crypto.filecrypt import FileDecryptionError
from workstation.models import Problem
from workstation.redaction.model import RedactionError, log_sha256, parse_log
from workstation.redaction.service import copy_file, remake
from workstation.storage.redactions_repo import RedactionsRepo
from workstation.storage.repositories import CaptureRepo

_AUDITED = ("capture_id", "sha256", "original_sha256", "log_sha256", "method")


def check_redactions(ctx: Context, captures: CaptureRepo) -> list[Problem]:
    """What is wrong with the redactions of the workspace (see the module)."""
    repo = RedactionsRepo(ctx.conn)
    audited = _audited(repo)
    problems: list[Problem] = []
    for row in repo.all():
        rid, cid = row["id"], row["capture_id"]
        what = f"capture #{cid}: redaction #{rid}"
        entry = audited.pop(rid, None)
        if entry is None:
            problems.append(Problem("record-unaudited", f"{what} has no audit entry (added "
                                    "outside the application)", capture_id=cid))
            continue
        altered = [c for c in _AUDITED if entry.get(c) != row[c]]
        if altered:
            problems.append(Problem("record-altered", f"{what}: {', '.join(altered)} differ "
                                    "from the audit trail", capture_id=cid))
            continue
        problems += _check_copy(ctx, captures, row, what)
    for rid, entry in sorted(audited.items()):
        cid = entry.get("capture_id")
        problems.append(Problem("record-deleted", f"redaction #{rid} of capture #{cid} is in "
                                "the audit trail but missing from the database",
                                capture_id=cid if isinstance(cid, int) else None))
    return problems


def _audited(repo: RedactionsRepo) -> dict[int, dict[str, Any]]:
    """redaction id -> what its ``capture.redact`` entry records of it."""
    found: dict[int, dict[str, Any]] = {}
    for row in repo.audited():
        try:
            details = json.loads(row["details"])
        except ValueError:
            continue
        _kind, _, ident = str(row["subject"]).partition(":")
        if isinstance(details, dict) and isinstance(details.get("redaction"), int):
            found[details["redaction"]] = {
                **{k: details.get(k) for k in _AUDITED},
                "capture_id": int(ident) if ident.isdigit() else None}
    return found


def _check_copy(ctx: Context, captures: CaptureRepo, row: Any, what: str) -> list[Problem]:
    """The log against its hash, the copy made again, and the stored copy."""
    cid = row["capture_id"]
    if log_sha256(row["boxes"]) != row["log_sha256"]:
        return [Problem("record-altered", f"{what}: its box list (the redaction log) no "
                        "longer has its recorded SHA-256", capture_id=cid)]
    capture = captures.get(cid)
    if capture is None or capture.sha256 != row["original_sha256"]:
        return [Problem("record-altered", f"{what} names an original the capture does not "
                        "have", capture_id=cid)]
    try:
        remade = remake(ctx, capture, parse_log(row["boxes"]), row["method"])
    except RedactionError as exc:
        return [Problem("redaction-altered", f"{what}: cannot be made again ({exc})",
                        capture_id=cid)]
    except Exception:  # the original's own check reports an unreadable original
        return []
    if hashlib.sha256(remade).hexdigest() != row["sha256"]:
        return [Problem("redaction-altered", f"{what}: its log applied to the original no "
                        "longer reproduces the recorded copy (SHA-256 "
                        f"{row['sha256']})", capture_id=cid)]
    path = copy_file(ctx, row["sha256"])
    try:
        stored = ctx.vault.read_bytes(path)
    except FileNotFoundError:
        return []  # made again from the original and the log when next used
    except FileDecryptionError:
        stored = b""  # reported as not matching, below
    except OSError as exc:
        return [Problem("redaction-altered", f"{what}: the copy cannot be read "
                        f"({exc.strerror or exc})", capture_id=cid)]
    if hashlib.sha256(stored).hexdigest() != row["sha256"]:
        return [Problem("redaction-altered", f"{what}: the copy redacted/{row['sha256'][:2]}/"
                        f"{row['sha256']}.png does not match its recorded SHA-256 (changed "
                        "outside the application); it was left as it is", capture_id=cid)]
    return []
