"""``verify`` for the ``case_imports`` table: each row must match the ``case.import``
entry that recorded it (bundle SHA-256, sender, sending workspace, its audit head, the
hash of case.json, of the audit segment and of the timestamp tokens, the colleague);
a row without its entry is
``record-unaudited``, a changed one ``record-altered``, a missing one ``record-deleted``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from workstation.context import Context
from workstation.models import Problem
from workstation.storage.audit import canonical_json
from workstation.storage.exchange_repo import ExchangeRepo

ACTION = "case.import"


def _recorded(repo: ExchangeRepo) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for row in repo.entries_of(ACTION):
        try:
            details = json.loads(row["details"])
        except ValueError:
            continue  # the chain check reports an altered entry
        if isinstance(details, dict) and isinstance(details.get("import"), int):
            found[details["import"]] = {**details,
                                        "case_id": str(row["subject"]).partition(":")[2]}
    return found


def _differences(row: Any, want: dict[str, Any]) -> list[str]:
    have = {
        "bundle_sha256": row["bundle_sha256"], "sender": row["sender"],
        "workspace": row["workspace_id"], "records_sha256": row["records_sha256"],
        "foreign_head": json.loads(row["foreign_head"]),
        "segment_sha256": hashlib.sha256(
            canonical_json(json.loads(row["segment"])).encode()).hexdigest(),
        "case_id": str(row["case_id"]),
        "colleague": row["colleague_id"],
        "tokens_sha256": hashlib.sha256(
            canonical_json(json.loads(row["tokens"])).encode()).hexdigest(),
    }
    return [name for name, value in have.items() if want.get(name) != value]


def compare_imports(ctx: Context) -> list[Problem]:
    """Every difference between ``case_imports`` and the ``case.import`` entries."""
    repo = ExchangeRepo(ctx.conn)
    recorded = _recorded(repo)
    problems: list[Problem] = []
    seen: set[int] = set()
    for row in repo.imports():
        ident = int(row["id"])
        seen.add(ident)
        want = recorded.get(ident)
        where = f"case_imports row {ident} (bundle {str(row['bundle_sha256'])[:16]}…)"
        if want is None:
            problems.append(Problem("record-unaudited", f"{where} has no {ACTION} entry "
                                    "(added outside the application)"))
            continue
        changed = _differences(row, want)
        if changed:
            problems.append(Problem("record-altered", f"{where}: {', '.join(changed)} "
                                    "differ from the audit trail"))
    for ident in sorted(set(recorded) - seen):
        problems.append(Problem("record-deleted", f"case_imports row {ident} is in the audit "
                                "trail but missing from the database"))
    return problems
