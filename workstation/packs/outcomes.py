"""The platforms' answers (``ws.outcomes``): outcome files imported all or nothing,
and the per-platform figures (removal rate, time to action).

An answer may come encrypted to the agency's reply key (an age file, recognised by its
header) and signed with the platform's own minisign key (``FILE.minisig``): it is
decrypted in memory and its signature checked (:mod:`workstation.packs.replies`)
before any row is recorded."""

from __future__ import annotations

import hashlib
import os
import re
import statistics
from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.packs.contacts import ContactService
from workstation.packs.format.spec import (
    FINAL_OUTCOMES,
    OUTCOMES,
)
from workstation.packs.keys import KeyService
from workstation.packs.models import (
    SENT_STATES,
    OutcomeImport,
    OutcomeImportError,
    PlatformStats,
    parse_time,
    read_outcome_rows,
)
from workstation.packs.replies import (
    MAX_OUTCOME_FILE,
    check_reply_signature,
    decrypt_reply,
    is_age_file,
)
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import parse_iso, utc_now

#: One checked outcome row: (pack row, capture id, outcome, time, comment).
_Planned = tuple[sqlite3.Row, int, str, str | None, str | None]


class OutcomeService:
    """Outcome import and per-platform figures."""

    def __init__(self, ctx: Context, repo: PacksRepo, keys: KeyService | None = None,
                 contacts: ContactService | None = None) -> None:
        self._ctx = ctx
        self._repo = repo
        self._keys = keys or KeyService(ctx, repo)
        self._contacts = contacts or ContactService(ctx, repo)

    def import_file(self, path: str | os.PathLike[str], *,
                    signature: str | os.PathLike[str] | None = None) -> OutcomeImport:
        """Record a platform's answer (CSV or JSON, possibly age-encrypted to the
        agency's reply key and signed: ``signature``, else ``FILE.minisig`` when it
        exists); all rows or none."""
        file = Path(path)
        raw = _read_limited(file)
        sig_path = Path(signature) if signature is not None else Path(f"{file}.minisig")
        sig_text = _read_signature(sig_path, required=signature is not None)
        origin: dict[str, Any] = {"file_sha256": hashlib.sha256(raw).hexdigest()}
        plain = raw
        if is_age_file(raw):  # by its header, whatever the file is called
            plain, key = decrypt_reply(raw, self._keys.reply_identities(), repr(file.name))
            origin.update(decrypted_with=key.fingerprint,
                          decrypted_sha256=hashlib.sha256(plain).hexdigest())
        planned = self._plan_rows(read_outcome_rows(plain, file), file)
        contact_keys = {}
        for cid in sorted({int(p[0]["contact_id"]) for p in planned}):
            contact = self._contacts.trusted(cid)
            if contact.minisign_key and not contact.verified:
                raise OutcomeImportError(
                    f"The minisign key of contact #{cid} has not been checked with the "
                    f"platform since it was recorded: read its fingerprint "
                    f"({contact.minisign_fingerprint}) back to them, then mark the contact "
                    "verified ({how}). Nothing was imported.", how=f"contact verify {cid}")
            contact_keys[cid] = contact.minisign_key
        check = check_reply_signature(raw, sig_text, repr(sig_path.name), contact_keys,
                                      repr(file.name))
        origin.update(signed_by=check.key_id, signature=sig_path.name if sig_text else None)
        return self._apply(planned, file, origin)

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

    def _apply(self, planned: list[_Planned], file: Path,
               origin: dict[str, Any]) -> OutcomeImport:
        """Store the outcomes and move each pack on, in one transaction."""
        summary = OutcomeImport(os.fspath(file), len(planned),
                                decrypted_with=origin.get("decrypted_with"),
                                signed_by=origin.get("signed_by"))
        now = utc_now()
        with self._ctx.write():
            by_pack: dict[int, list[dict[str, Any]]] = {}
            for row, cid, outcome, when, comment in planned:
                self._repo.set_outcome(row["id"], cid, outcome, when, comment, now)
                by_pack.setdefault(row["id"], []).append(
                    {"capture_id": cid, "outcome": outcome, "time": when, "comment": comment})
            for pack_id, changes in by_pack.items():
                ref, state = self._advance_pack(pack_id, changes, file.name, origin, now)
                summary.packs[ref] = state
        return summary

    def _advance_pack(self, pack_id: int, changes: list[dict[str, Any]], file_name: str,
                      origin: dict[str, Any], now: str) -> tuple[str, str]:
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
            "ref": row["ref"], "file": file_name, **origin,
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


def _read_limited(file: Path) -> bytes:
    """The file's bytes; one over :data:`MAX_OUTCOME_FILE` is refused unread."""
    try:
        with open(file, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_OUTCOME_FILE:
                raise OutcomeImportError(
                    f"{os.fspath(file)!r} is {size / 1e6:.1f} MB: an outcome file is a few "
                    f"rows per item, at most {MAX_OUTCOME_FILE // (1024 * 1024)} MB; it is "
                    "not read.")
            raw = fh.read(MAX_OUTCOME_FILE + 1)
    except OSError as exc:
        raise OutcomeImportError(f"Cannot read {os.fspath(file)!r}: {exc.strerror}.") \
            from None
    if len(raw) > MAX_OUTCOME_FILE:
        raise OutcomeImportError(f"{os.fspath(file)!r} grew past "
                                 f"{MAX_OUTCOME_FILE // (1024 * 1024)} MB while being read.")
    return raw


def _read_signature(path: Path, *, required: bool) -> str | None:
    """The text of a ``.minisig`` file; ``None`` when there is none (and none was named)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(16_385)
    except FileNotFoundError:
        if required:
            raise OutcomeImportError(f"The signature file {os.fspath(path)!r} does not "
                                     "exist.") from None
        return None
    except OSError as exc:
        raise OutcomeImportError(f"Cannot read the signature {os.fspath(path)!r}: "
                                 f"{exc.strerror}.") from None
    if len(raw) > 16_384:
        raise OutcomeImportError(f"{os.fspath(path)!r} is too large for a minisign signature.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise OutcomeImportError(f"{os.fspath(path)!r} is not a minisign signature (not "
                                 "text).") from None
