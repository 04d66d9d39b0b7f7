"""``verify`` for the analyst's verdicts on indicators: every ``indicator_reviews`` row
must be the last verdict the audit trail records for its (capture, kind, normalised
value), by the same analyst at the same time, and every verdict the trail leaves
standing must be there.  A verdict flipped with plain SQLite (a misreading "confirmed"
so it goes out in a pack) is reported with its capture."""

from __future__ import annotations

import json
from typing import Any

from workstation.context import Context
from workstation.models import Problem
from workstation.reading.review import ACTIONS
from workstation.storage.reviews_repo import ReviewsRepo

_Key = tuple[int, str, str]


def expected_reviews(ctx: Context) -> dict[_Key, dict[str, Any]]:
    """The verdicts the audit trail leaves standing: key -> verdict, analyst, reviewed_at."""
    state: dict[_Key, dict[str, Any]] = {}
    for row in ctx.audit.iter_all():
        action = row["action"]
        if action not in ACTIONS:
            continue
        kind, _, ident = str(row["subject"]).partition(":")
        try:
            details = json.loads(row["details"])
            key = (int(ident), str(details["kind"]), str(details["normalized"]))
        except (ValueError, TypeError, KeyError):
            continue  # malformed: the chain check reports an entry written outside the app
        if kind != "capture":
            continue
        verdict = ACTIONS[action]
        if verdict is None:
            state.pop(key, None)
        else:
            state[key] = {"verdict": verdict, "analyst": row["analyst"],
                          "reviewed_at": details.get("reviewed_at")}
    return state


def compare_reviews(ctx: Context, repo: ReviewsRepo) -> list[Problem]:
    """Every difference between ``indicator_reviews`` and the audit trail."""
    want = expected_reviews(ctx)
    problems: list[Problem] = []
    for row in repo.all():
        key = (row["capture_id"], row["kind"], row["normalized"])
        where = (f"indicator_reviews row of capture #{key[0]} ({key[1]} {key[2]!r})")
        expected = want.pop(key, None)
        if expected is None:
            problems.append(Problem("record-unaudited", f"{where}: {row['verdict']} without "
                                    "an audit entry (set outside the application)",
                                    capture_id=key[0]))
            continue
        have = {"verdict": row["verdict"], "analyst": row["analyst"],
                "reviewed_at": row["reviewed_at"]}
        for column, value in have.items():
            if value != expected[column]:
                problems.append(Problem(
                    "record-altered", f"{where}: {column} is {value!r} in the database but "
                    f"{expected[column]!r} according to the audit trail", capture_id=key[0]))
    for key, expected in sorted(want.items()):
        problems.append(Problem(
            "record-deleted", f"indicator_reviews: the verdict {expected['verdict']} on "
            f"capture #{key[0]} ({key[1]} {key[2]!r}) is in the audit trail but missing "
            "from the database", capture_id=key[0]))
    return problems
