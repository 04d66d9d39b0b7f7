"""``verify`` for the records beyond captures: contacts and their keys and verified state,
the agency's keys, the settings, and the packs (state, sealed and sent hashes, items and
outcomes) compared with what the audit trail recorded; and the thumbnails compared with
the ones regenerated from the verified originals.  Each difference names its table and
row."""

from __future__ import annotations

from typing import Any

from workstation.context import Context
from workstation.models import Problem
from workstation.packs.trail import (
    PACK_FIELDS,
    TrailState,
    contact_differences,
    key_fingerprint,
)
from workstation.storage.packs_repo import PacksRepo


def compare_records(ctx: Context, repo: PacksRepo, state: TrailState) -> list[Problem]:
    """Every difference between the tables and the trail's ``state``."""
    return (_compare_contacts(repo, state) + _compare_keys(repo, state)
            + _compare_settings(ctx, state) + _compare_packs(repo, state))


def _compare_contacts(repo: PacksRepo, state: TrailState) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[int] = set()
    for row in repo.contacts():
        cid = row["id"]
        seen.add(cid)
        want = state.contacts.get(cid)
        if want is None:
            problems.append(Problem("record-unaudited", f"contacts row {cid} (contact #{cid}) "
                                    "has no audit entry (added outside the application)"))
            continue
        for difference in contact_differences(want, row, repo.recipients(cid)):
            problems.append(Problem("record-altered",
                                    f"contacts row {cid} (contact #{cid}): {difference}"))
    for cid in sorted(set(state.contacts) - seen):
        problems.append(Problem("record-deleted", f"contacts row {cid} (contact #{cid}) is in "
                                "the audit trail but missing from the database"))
    return problems


def _compare_keys(repo: PacksRepo, state: TrailState) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for row in repo.agency_keys():
        where = f"agency_keys row {row['id']} ({row['kind']} key {row['key_id']})"
        public = row["public"]
        seen.add(public)
        want = state.keys.get(public)
        if want is None:
            problems.append(Problem("record-unaudited", f"{where}: this public key has no "
                                    "audit entry (added or replaced outside the application)"))
            continue
        if want["kind"] != row["kind"] or (
                want["kind"] == "signing" and want["key_id"] != row["key_id"]):
            problems.append(Problem("record-altered", f"{where}: kind or key id differs from "
                                    "the audit trail"))
        if want["retired"] != (row["retired_at"] is not None):
            problems.append(Problem("record-altered", f"{where}: retired state differs from "
                                    "the audit trail"))
        if row["fingerprint"] != key_fingerprint(public):
            problems.append(Problem("record-altered", f"{where}: the stored fingerprint does "
                                    "not match the key"))
    for public in sorted(set(state.keys) - seen):
        problems.append(Problem("record-deleted", f"agency_keys: the {state.keys[public]['kind']} "
                                f"key {public[:24]}… is in the audit trail but missing"))
    return problems


def _compare_settings(ctx: Context, state: TrailState) -> list[Problem]:
    problems: list[Problem] = []
    actual = ctx.settings.all()
    for key in sorted(set(actual) | set(state.settings)):
        have, want = actual.get(key), state.settings.get(key)
        if have == want:
            continue
        if want is None:
            problems.append(Problem("record-unaudited", f"settings row {key!r} has no audit "
                                    "entry (set outside the application)"))
        elif have is None:
            problems.append(Problem("record-deleted", f"settings row {key!r} is in the audit "
                                    "trail but missing from the database"))
        else:
            problems.append(Problem("record-altered", f"settings row {key!r} is {have!r} in the "
                                    f"database but {want!r} according to the audit trail"))
    return problems


def _compare_packs(repo: PacksRepo, state: TrailState) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for row in repo.packs():
        ref = row["ref"]
        where = f"packs row {row['id']} ({ref})"
        seen.add(ref)
        want = state.packs.get(ref)
        if want is None:
            problems.append(Problem("record-unaudited", f"{where} has no audit entry (added "
                                    "outside the application)"))
            continue
        for column in PACK_FIELDS:
            if column in want and row[column] != want[column]:
                problems.append(Problem("record-altered", f"{where}: {column} is "
                                        f"{row[column]!r} in the database but {want[column]!r} "
                                        "according to the audit trail"))
        problems += _compare_items(where, repo.items(row["id"]), want)
    for ref in sorted(set(state.packs) - seen):
        problems.append(Problem("record-deleted", f"pack {ref} is in the audit trail but missing "
                                "from the database"))
    return problems


def _compare_items(where: str, items: list[Any], want: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if sorted(r["capture_id"] for r in items) != want["captures"]:
        problems.append(Problem("record-altered", f"{where}: its captures (pack_items) differ "
                                "from the audit trail"))
    for item in items:
        expected = want["outcomes"].get(item["capture_id"], "pending")
        if item["outcome"] != expected:
            problems.append(Problem(
                "record-altered", f"{where}: pack_items outcome of capture #{item['capture_id']} "
                f"is {item['outcome']!r} but {expected!r} according to the audit trail",
                capture_id=item["capture_id"]))
    return problems
