"""Colleagues (``ws.colleagues``): other analysts' workspaces, kept like contacts.

A colleague is the age recipient a case bundle is encrypted to (what their
``workstation key export --age`` prints) and the minisign public key their bundles must
be signed with (their ``key export --minisign``), each with a fingerprint of eight
groups of four hex digits to read over the phone.  Adding and removing are audited;
removing keeps the row (``removed_at``) because imports name it.  A row changed outside
the application (its recipient swapped, say) is never used: it is checked against the
audit trail (:mod:`workstation.exchange.verify_colleagues`) before a bundle is encrypted
to it or accepted as signed by it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from workstation.context import Context
from workstation.crypto import signing
from workstation.crypto.recipients import InvalidRecipient, Recipient, parse_recipient
from workstation.errors import NotFound, WorkstationError
from workstation.exchange.verify_colleagues import (
    ADD_ACTION,
    REMOVE_ACTION,
    SUBJECT_KIND,
    colleague_differences,
    replay,
)
from workstation.packs.contacts import ContactService, minisign_line
from workstation.packs.models import ContactError, clean_text, minisign_fingerprint
from workstation.packs.trail import key_fingerprint
from workstation.storage.colleagues_repo import ColleaguesRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

#: Where a colleague's age recipient comes from, said in refusals: on the command line,
#: and in the window's words.
_RECIPIENT_SOURCE = ("a colleague's recipient is the age1… line `workstation key export "
                     "--age` prints in their workspace")
_RECIPIENT_SOURCE_WINDOW = ("a colleague's recipient is the age1… line their workspace "
                            "exports as its age recipient")


class ColleagueError(WorkstationError):
    """A colleague is malformed, a duplicate, removed, or changed outside the application."""


@dataclass(frozen=True, slots=True)
class Colleague:
    """One colleague; the fingerprints and key id are computed from the key texts."""

    id: int
    name: str
    recipient: str              # age1… (canonical)
    fingerprint: str            # of the recipient: eight groups of four hex digits
    minisign: str               # minisign public key, its base64 line
    minisign_id: str            # its key id (hex, as minisign prints it)
    minisign_fingerprint: str   # SHA-256 of the base64 line, grouped like ``fingerprint``
    created_at: str
    created_by: str
    removed_at: str | None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def public_key(self) -> signing.PublicKey:
        """The minisign public key their bundles are signed with."""
        return signing.parse_public_key(self.minisign)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "removed": self.removed}


def _key_id(line: str) -> str | None:
    try:
        return signing.parse_public_key(line).key_id_hex
    except signing.SignatureError:
        return None


class ColleagueService:
    """The colleagues; every change audited (``colleague.add``, ``colleague.remove``)."""

    def __init__(self, ctx: Context, repo: ColleaguesRepo) -> None:
        self._ctx = ctx
        self._repo = repo

    # ----------------------------------------------------------------- reading
    def all(self, include_removed: bool = False) -> list[Colleague]:
        """The current colleagues by id (the removed ones too with ``include_removed``)."""
        return [self._colleague(r) for r in self._repo.select(include_removed=include_removed)]

    def get(self, colleague_id: int) -> Colleague:
        """Colleague ``colleague_id``, removed or not."""
        row = self._repo.get(colleague_id)
        if row is None:
            raise NotFound(f"There is no colleague #{colleague_id}.")
        return self._colleague(row)

    @staticmethod
    def _colleague(row: sqlite3.Row) -> Colleague:
        minisign = str(row["minisign"])
        return Colleague(
            int(row["id"]), row["name"], row["recipient"], key_fingerprint(row["recipient"]),
            minisign, _key_id(minisign) or str(row["minisign_id"]),
            minisign_fingerprint(minisign) or "", row["created_at"], row["created_by"],
            row["removed_at"])

    def _tampered(self, rows: list[sqlite3.Row]) -> dict[int, str]:
        """Colleague id -> how its row differs from its (intact) audit entries, for each
        of ``rows`` that does; a row without an entry counts as changed."""
        if not rows:
            return {}
        trail = replay(self._ctx.audit.entries(
            subjects=[f"{SUBJECT_KIND}:{r['id']}" for r in rows]), intact_only=True)
        found: dict[int, str] = {}
        for row in rows:
            want = trail.get(int(row["id"]))
            if want is None:
                found[int(row["id"])] = "it has no entry in the audit trail"
            else:
                differences = colleague_differences(want, row)
                if differences:
                    found[int(row["id"])] = differences[0]
        return found

    def _refuse_tampered(self, rows: list[sqlite3.Row]) -> None:
        tampered = self._tampered(rows)
        if tampered:
            cid, why = next(iter(sorted(tampered.items())))
            raise ColleagueError(f"Colleague #{cid} was changed outside the application "
                                 f"({why}); not used.", how="verify")

    def get_many(self, ids: Iterable[int]) -> list[Colleague]:
        """The current colleagues ``ids`` (in that order, each once), checked against the
        audit trail: what a case bundle is encrypted to.  Unknown or removed ids are
        refused together, in one sentence."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            raise ColleagueError("Name at least one colleague to send the case to.")
        rows = {cid: self._repo.get(cid) for cid in wanted}
        unknown = [f"#{cid}" for cid, row in rows.items() if row is None]
        removed = [f"#{cid}" for cid, row in rows.items()
                   if row is not None and row["removed_at"] is not None]
        if unknown or removed:
            parts = ([f"no colleague {', '.join(unknown)}"] if unknown else []) + \
                    ([f"colleague {', '.join(removed)} removed"] if removed else [])
            raise ColleagueError(f"Not sent to: {'; '.join(parts)}. A case goes only to "
                                 "current colleagues.")
        current = [row for row in rows.values() if row is not None]
        self._refuse_tampered(current)
        return [self._colleague(row) for row in current]

    def trusted_minisign_keys(self) -> list[signing.PublicKey]:
        """The minisign keys of the current colleagues whose rows match the audit trail:
        the keys a received bundle's signature may be made with."""
        rows = self._repo.select()
        tampered = self._tampered(rows)
        return [signing.parse_public_key(row["minisign"]) for row in rows
                if int(row["id"]) not in tampered]

    def by_minisign_id(self, key_id_hex: str) -> Colleague | None:
        """The current colleague whose minisign key has id ``key_id_hex`` (hex, as
        minisign prints it), else ``None``; refused when that row was changed outside
        the application."""
        try:
            wanted = int(key_id_hex.strip(), 16)
        except ValueError:
            return None
        for row in self._repo.select():
            have = _key_id(str(row["minisign"]))
            if have is not None and int(have, 16) == wanted:
                self._refuse_tampered([row])
                return self._colleague(row)
        return None

    # ----------------------------------------------------------------- changes
    @staticmethod
    def read_minisign_file(path: str | os.PathLike[str]) -> str:
        """The base64 line of a minisign public key file (their ``key export
        --minisign``)."""
        try:
            return ContactService.read_minisign_file(path)
        except ContactError as exc:
            raise ColleagueError(str(exc)) from None

    @staticmethod
    def _parse_recipient(text: str) -> Recipient:
        try:
            recipient = parse_recipient(text)
        except InvalidRecipient as exc:
            why = str(exc).rstrip(".")
            raise ColleagueError(f"{why}; {_RECIPIENT_SOURCE}.",
                                 window=f"{why}; {_RECIPIENT_SOURCE_WINDOW}.") from None
        if recipient.kind != "x25519":
            why = "A colleague needs an age1… recipient, not an SSH key"
            raise ColleagueError(f"{why}: {_RECIPIENT_SOURCE}.",
                                 window=f"{why}: {_RECIPIENT_SOURCE_WINDOW}.")
        return recipient

    def add(self, name: str, recipient_text: str, minisign_text: str) -> Colleague:
        """Add a colleague: ``name``, their age recipient (``age1…``) and their minisign
        public key (a ``.pub`` file's text or its base64 line).  A recipient or minisign
        key a current colleague already holds is refused, naming that colleague."""
        try:
            cleaned = clean_text(name, "colleague's name", required=True)
            line = minisign_line(minisign_text)
        except ContactError as exc:
            raise ColleagueError(str(exc)) from None
        recipient = self._parse_recipient(recipient_text)
        record: dict[str, Any] = {
            "name": cleaned, "recipient": recipient.text,
            "fingerprint": recipient.fingerprint, "minisign": line,
            "minisign_id": signing.parse_public_key(line).key_id_hex,
            "minisign_fingerprint": minisign_fingerprint(line),
            "created_at": utc_now(), "created_by": self._ctx.analyst,
        }
        with self._ctx.write():
            self._refuse_duplicate(record)
            colleague_id = self._repo.insert(record)
            self._ctx.audit.append(self._ctx.analyst, ADD_ACTION,
                                   f"{SUBJECT_KIND}:{colleague_id}",
                                   {k: v for k, v in record.items() if k != "created_by"})
        return self.get(colleague_id)

    def _refuse_duplicate(self, record: dict[str, Any]) -> None:
        holder = self._repo.current_by_recipient(record["recipient"])
        if holder is not None:
            raise ColleagueError(
                f"The age recipient {record['fingerprint']} is already colleague "
                f"#{holder['id']} ({holder['name']}); remove that colleague first to add "
                "it again.")
        for row in self._repo.select():
            if _key_id(str(row["minisign"])) == record["minisign_id"]:
                raise ColleagueError(
                    f"The minisign key {record['minisign_id']} is already colleague "
                    f"#{row['id']} ({row['name']}); remove that colleague first to add "
                    "it again.")

    def remove(self, colleague_id: int) -> Colleague:
        """Mark a colleague removed (the row stays: imports name it); audited.  Bundles
        are no longer encrypted to them nor accepted as signed by them."""
        with self._ctx.write():
            colleague = self.get(colleague_id)
            if colleague.removed:
                raise ColleagueError(f"Colleague #{colleague_id} ({colleague.name}) was "
                                     f"already removed at {colleague.removed_at}.")
            now = utc_now()
            self._repo.mark_removed(colleague_id, now)
            self._ctx.audit.append(self._ctx.analyst, REMOVE_ACTION,
                                   f"{SUBJECT_KIND}:{colleague_id}",
                                   {"name": colleague.name, "recipient": colleague.recipient,
                                    "fingerprint": colleague.fingerprint,
                                    "minisign_id": colleague.minisign_id, "removed_at": now})
        return self.get(colleague_id)
