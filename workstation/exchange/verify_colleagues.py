"""The colleagues as the audit trail describes them, and ``verify`` for the
``colleagues`` table: a row no ``colleague.add`` entry created is ``record-unaudited``,
a column that differs from what the trail recorded (an age recipient swapped for
another, a removal undone) ``record-altered``, a row the trail has but the table lacks
``record-deleted``.  The service (:mod:`workstation.exchange.colleagues`) uses the same
replay to refuse a row changed outside the application."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from workstation.context import Context
from workstation.crypto import signing
from workstation.models import AuditEntry, Problem
from workstation.packs.models import minisign_fingerprint
from workstation.packs.trail import entry_intact, key_fingerprint
from workstation.storage.colleagues_repo import ColleaguesRepo

#: The actions about colleagues (subject ``colleague:ID``).
ADD_ACTION = "colleague.add"
REMOVE_ACTION = "colleague.remove"
SUBJECT_KIND = "colleague"

#: The columns ``colleague.add`` records in its details.
RECORDED_FIELDS = ("name", "recipient", "fingerprint", "minisign", "minisign_id",
                   "minisign_fingerprint", "created_at")
#: Every column compared with the trail (``created_by`` is the entry's analyst).
COMPARED_FIELDS = (*RECORDED_FIELDS, "created_by", "removed_at")


def replay(entries: Iterable[AuditEntry], *, intact_only: bool = False
           ) -> dict[int, dict[str, Any]]:
    """Colleague id -> its columns as the ``colleague.*`` entries among ``entries`` make
    them (``intact_only``: skipping an entry whose hash does not match its contents)."""
    state: dict[int, dict[str, Any]] = {}
    for entry in entries:
        kind, _, ident = entry.subject.partition(":")
        if kind != SUBJECT_KIND or not ident.isdigit() or not isinstance(entry.details, dict):
            continue
        if intact_only and not entry_intact(entry):
            continue
        colleague_id, details = int(ident), entry.details
        if entry.action == ADD_ACTION:
            state[colleague_id] = {**{k: details.get(k) for k in RECORDED_FIELDS},
                                   "created_by": entry.analyst, "removed_at": None}
        elif entry.action == REMOVE_ACTION and colleague_id in state:
            state[colleague_id]["removed_at"] = details.get("removed_at")
    return state


def colleague_entries(ctx: Context) -> Iterator[AuditEntry]:
    """Every ``colleague.*`` entry of the trail, oldest first (malformed details skipped:
    the chain check reports an entry written outside the application)."""
    for row in ctx.audit.iter_all():
        if not str(row["subject"]).startswith(SUBJECT_KIND + ":"):
            continue
        try:
            details = json.loads(row["details"])
        except (TypeError, ValueError):
            continue
        yield AuditEntry(row["seq"], row["at"], row["analyst"], row["action"], row["subject"],
                         details, row["prev_hash"], row["hash"])


def _key_id(text: Any) -> str | None:
    with contextlib.suppress(signing.SignatureError, TypeError, ValueError):
        return signing.parse_public_key(str(text)).key_id_hex
    return None


def colleague_differences(want: dict[str, Any], row: Any) -> list[str]:
    """How a ``colleagues`` row differs from the trail's ``want`` (and whether its stored
    fingerprints and key id still match its key texts)."""
    found = [f"{column} is {row[column]!r} but {want.get(column)!r} according to the audit "
             "trail" for column in COMPARED_FIELDS if row[column] != want.get(column)]
    if row["fingerprint"] != key_fingerprint(row["recipient"]):
        found.append("the stored fingerprint does not match its age recipient")
    if row["minisign_fingerprint"] != minisign_fingerprint(row["minisign"]):
        found.append("the stored minisign fingerprint does not match its minisign key")
    if row["minisign_id"] != _key_id(row["minisign"]):
        found.append("the stored minisign key id does not match its minisign key")
    return found


def compare_colleagues(ctx: Context, repo: ColleaguesRepo | None = None) -> list[Problem]:
    """``verify``: every difference between the ``colleagues`` table and the trail."""
    repo = repo or ColleaguesRepo(ctx.conn)
    want = replay(colleague_entries(ctx))
    problems: list[Problem] = []
    for row in repo.select(include_removed=True):
        cid = int(row["id"])
        where = f"colleagues row {cid} (colleague #{cid})"
        expected = want.pop(cid, None)
        if expected is None:
            problems.append(Problem("record-unaudited", f"{where} has no audit entry (added "
                                    "outside the application)"))
            continue
        problems += [Problem("record-altered", f"{where}: {difference}")
                     for difference in colleague_differences(expected, row)]
    for cid, expected in sorted(want.items()):
        problems.append(Problem("record-deleted", f"colleagues row {cid} (colleague #{cid}, "
                                f"{expected.get('name')!r}) is in the audit trail but missing "
                                "from the database"))
    return problems
