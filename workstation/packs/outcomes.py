"""The platforms' answers (``ws.outcomes``): outcome files imported all or nothing,
and the per-platform figures (removal rate, time to action)."""

from __future__ import annotations

import hashlib
import os
import re
import statistics
from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.packs.format.spec import (
    FINAL_OUTCOMES,
    OUTCOMES,
)
from workstation.packs.models import (
    SENT_STATES,
    OutcomeImport,
    OutcomeImportError,
    PlatformStats,
    parse_time,
    read_outcome_rows,
)
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import parse_iso, utc_now

#: One checked outcome row: (pack row, capture id, outcome, time, comment).
_Planned = tuple[sqlite3.Row, int, str, str | None, str | None]


class OutcomeService:
    """Outcome import and per-platform figures."""

    def __init__(self, ctx: Context, repo: PacksRepo) -> None:
        self._ctx = ctx
        self._repo = repo

    def import_file(self, path: str | os.PathLike[str]) -> OutcomeImport:
        """Record a platform's answer (CSV or JSON); all rows or none."""
        file = Path(path)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise OutcomeImportError(f"Cannot read {os.fspath(file)!r}: {exc.strerror}.") \
                from None
        planned = self._plan_rows(read_outcome_rows(raw, file), file)
        return self._apply(planned, file, hashlib.sha256(raw).hexdigest())

    def _plan_rows(self, rows: list[tuple[int, dict[str, Any]]], file: Path) -> list[_Planned]:
        """Check every row; raise listing all problems, or return the changes to make."""
        problems: list[str] = []
        planned: list[_Planned] = []
        packs: dict[str, sqlite3.Row] = {}
        items: dict[int, set[int]] = {}
        for number, data in rows:
            checked = self._plan_row(f"row {number}", data, packs, items)
            if isinstance(checked, str):
                problems.append(checked)
            else:
                planned.append(checked)
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise OutcomeImportError(
                f"{len(problems)} problem(s) in {os.fspath(file)!r}; nothing was imported:\n  "
                f"{shown}{more}")
        if not planned:
            raise OutcomeImportError(f"{os.fspath(file)!r} holds no outcome rows.")
        return planned

    def _plan_row(self, where: str, data: dict[str, Any], packs: dict[str, sqlite3.Row],
                  items: dict[int, set[int]]) -> _Planned | str:
        """One row as (pack row, capture id, outcome, time, comment), or its problem.

        ``packs`` and ``items`` cache the packs and their capture ids across rows.
        """
        ref = str(data.get("pack_ref") or "").strip()
        row = packs.get(ref) or (self._repo.pack_by_ref(ref) if ref else None)
        if row is None and ref:
            row = self._repo.pack_by_ref(ref.upper())
        if row is None:
            return f"{where}: unknown pack reference {ref!r}" if ref else f"{where}: no pack_ref"
        packs[ref] = row
        if row["state"] not in (*SENT_STATES, "sending"):
            return f"{where}: pack {row['ref']} has not been sent (it is {row['state']})"
        if row["id"] not in items:
            items[row["id"]] = {r["capture_id"] for r in self._repo.items(row["id"])}
        cid_text = str(data.get("capture_id") or "").strip().lstrip("#")
        if not cid_text.isdigit():
            return f"{where}: capture_id {cid_text!r} is not a number"
        cid = int(cid_text)
        if cid not in items[row["id"]]:
            return (f"{where}: capture #{cid} is not an item of {row['ref']} "
                    f"(items: {', '.join(map(str, sorted(items[row['id']])))})")
        outcome = re.sub(r"[\s-]+", "_", str(data.get("outcome") or "").strip().lower())
        if outcome not in OUTCOMES:
            return (f"{where}: unknown outcome {data.get('outcome')!r}; use one of "
                    f"{', '.join(OUTCOMES)}")
        when_text = str(data.get("time") or "").strip()
        when = None
        if when_text:
            try:
                when = parse_iso(when_text)
            except ValueError as exc:
                return f"{where}: {exc}"
        comment = " ".join(str(data.get("comment") or "").split())[:2000] or None
        return (row, cid, outcome, when, comment)

    def _apply(self, planned: list[_Planned], file: Path, digest: str) -> OutcomeImport:
        """Store the outcomes and move each pack on, in one transaction."""
        summary = OutcomeImport(os.fspath(file), len(planned))
        now = utc_now()
        with self._ctx.write():
            by_pack: dict[int, list[dict[str, Any]]] = {}
            for row, cid, outcome, when, comment in planned:
                self._repo.set_outcome(row["id"], cid, outcome, when, comment, now)
                by_pack.setdefault(row["id"], []).append(
                    {"capture_id": cid, "outcome": outcome, "time": when, "comment": comment})
            for pack_id, changes in by_pack.items():
                ref, state = self._advance_pack(pack_id, changes, file.name, digest, now)
                summary.packs[ref] = state
        return summary

    def _advance_pack(self, pack_id: int, changes: list[dict[str, Any]], file_name: str,
                      digest: str, now: str) -> tuple[str, str]:
        """Acknowledge (or close, once every item is final) a pack; return (ref, new state)."""
        row = self._repo.pack_by_id(pack_id)
        assert row is not None
        outcomes = [r["outcome"] for r in self._repo.items(pack_id)]
        final = all(o in FINAL_OUTCOMES for o in outcomes)
        values: dict[str, Any] = {"state": "closed" if final else "acknowledged",
                                  "acknowledged_at": row["acknowledged_at"] or now}
        if row["state"] == "sending":  # the answer proves it arrived
            values["sent_at"] = row["sending_at"] or now
        if final:
            values["closed_at"] = row["closed_at"] or now
        self._repo.update_pack(pack_id, values)
        self._ctx.audit.append(self._ctx.analyst, "pack.outcomes", f"pack:{row['ref']}", {
            "ref": row["ref"], "file": file_name, "file_sha256": digest,
            "old_state": row["state"], "new_state": values["state"],
            "outcomes": changes})
        return row["ref"], values["state"]

    def stats(self) -> list[PlatformStats]:
        """Per platform: packs sent, items, outcomes, removal rate, median time to action."""
        grouped: dict[str, list[sqlite3.Row]] = {}
        for row in self._repo.stats_rows():
            grouped.setdefault(row["platform"], []).append(row)
        result = []
        for platform, rows in sorted(grouped.items()):
            counts = {o: sum(1 for r in rows if r["outcome"] == o) for o in OUTCOMES}
            answered = sum(counts[o] for o in FINAL_OUTCOMES)
            hours = []
            for r in rows:
                if r["outcome"] in ("removed", "restricted") and r["outcome_at"] and r["sent_at"]:
                    delta = parse_time(r["outcome_at"]) - parse_time(r["sent_at"])
                    hours.append(max(0.0, delta.total_seconds() / 3600))
            result.append(PlatformStats(
                platform=platform, packs_sent=len({r["ref"] for r in rows}), items=len(rows),
                answered=answered, removed=counts["removed"], restricted=counts["restricted"],
                no_violation=counts["no_violation"], already_gone=counts["already_gone"],
                pending=counts["pending"],
                removal_rate=round(counts["removed"] / answered, 4) if answered else None,
                median_hours_to_action=round(statistics.median(hours), 2) if hours else None))
        return result
