"""Platform contacts (``ws.contacts``): who receives a platform's packs, their age
recipient keys with fingerprints, verification, and the contacts file exchanged
between workstations."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.crypto import signing
from workstation.crypto.recipients import (
    InvalidRecipient,
    Recipient,
    parse_recipient,
)
from workstation.errors import NotFound, WorkstationError
from workstation.packs.models import (
    CONTACTS_FORMAT,
    Contact,
    ContactError,
    ContactKey,
    check_contact_email,
    clean_text,
    contacts_json,
    minisign_fingerprint,
)
from workstation.packs.trail import (
    TrailState,
    contact_differences,
    entry_intact,
    key_fingerprint,
)
from workstation.platforms import normalize_platform
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now


class ContactService:
    """Platform contacts and their keys; every change audited."""

    def __init__(self, ctx: Context, repo: PacksRepo) -> None:
        self._ctx = ctx
        self._repo = repo

    def all(self, platform: str | None = None) -> list[Contact]:
        return [self._contact(r) for r in self._repo.contacts(platform)]

    def get(self, contact_id: int) -> Contact:
        row = self._repo.contact(contact_id)
        if row is None:
            raise NotFound(f"There is no contact #{contact_id}.")
        return self._contact(row)

    def _contact(self, row: sqlite3.Row) -> Contact:
        """A contact as shown and used: fingerprints computed from the key text (the stored
        column is never trusted), and verified only while its keys are the ones whose
        fingerprints the audited verification recorded."""
        keys = tuple(ContactKey(r["kind"], r["recipient"], key_fingerprint(r["recipient"]),
                                r["comment"])
                     for r in self._repo.recipients(row["id"]))
        verified_by, verified_at = row["verified_by"], row["verified_at"]
        if verified_at is not None:
            state = self._trail(row["id"]).contacts.get(row["id"]) or {}
            verified = state.get("verified") or {}
            signing_fp = minisign_fingerprint(row["minisign_key"])
            if (verified.get("fingerprints") != sorted(k.fingerprint for k in keys)
                    or (signing_fp is not None
                        and verified.get("minisign_fingerprint") != signing_fp)):
                # keys changed since they were checked (a platform's signing key recorded
                # after the verification included): unverified until checked again
                verified_by = verified_at = None
        return Contact(row["id"], row["platform"], row["organisation"], row["name"], row["role"],
                       row["email"], row["source"], row["created_at"], row["created_by"],
                       verified_by, verified_at, row["verify_note"], keys,
                       row["minisign_key"])

    def _trail(self, contact_id: int) -> TrailState:
        """The contact as its (intact) audit entries describe it."""
        state = TrailState()
        for entry in self._ctx.audit.entries(subjects=[f"contact:{contact_id}"]):
            if entry_intact(entry):
                state.apply(entry)
        return state

    def trusted(self, contact_id: int) -> Contact:
        """The contact, refused unless its row and keys are what the audit trail recorded:
        a key swapped outside the application is never used to encrypt a pack."""
        row = self._repo.contact(contact_id)
        if row is None:
            raise NotFound(f"There is no contact #{contact_id}.")
        want = self._trail(contact_id).contacts.get(contact_id)
        if want is None:
            raise ContactError(f"Contact #{contact_id} has no entry in the audit trail (added "
                               "outside the application); not used.", how="verify")
        differences = contact_differences(want, row, self._repo.recipients(contact_id))
        if differences:
            raise ContactError(f"Contact #{contact_id} was changed outside the application "
                               f"({differences[0]}); not used.", how="verify")
        return self._contact(row)

    @staticmethod
    def _parse_recipients(texts: Iterable[str]) -> list[Recipient]:
        parsed: list[Recipient] = []
        for text in texts:
            recipient = parse_recipient(text)
            if recipient.text not in {p.text for p in parsed}:
                parsed.append(recipient)
        if not parsed:
            raise InvalidRecipient("A contact needs at least one recipient key (--recipient "
                                   "age1… or 'ssh-ed25519 AAAA…').")
        return parsed

    def add(self, platform: str, name: str, email: str, recipients: Sequence[str],
                    organisation: str | None = None, role: str | None = None,
                    *, source: str = "manual", minisign_key: str | None = None) -> Contact:
        try:
            platform = normalize_platform(platform)
        except ValueError as exc:
            raise ContactError(str(exc)) from None
        record = {
            "platform": platform, "name": clean_text(name, "contact name", required=True),
            "email": check_contact_email(email),
            "organisation": clean_text(organisation, "organisation"),
            "role": clean_text(role, "role"), "source": source, "created_at": utc_now(),
            "created_by": self._ctx.analyst,
            "minisign_key": minisign_line(minisign_key) if minisign_key else None,
        }
        keys = self._parse_recipients(recipients)
        with self._ctx.write():
            contact_id = self._insert_contact(record, keys)
        return self.get(contact_id)

    def _insert_contact(self, record: dict[str, Any], keys: list[Recipient]) -> int:
        contact_id = self._repo.insert_contact(record)
        for key in keys:
            self._repo.add_recipient(contact_id, key.kind, key.text, key.comment,
                                          key.fingerprint)
        self._ctx.audit.append(self._ctx.analyst, "contact.add", f"contact:{contact_id}", {
            **{k: record[k] for k in ("platform", "name", "email", "organisation", "role",
                                      "source")},
            "recipients": [{"recipient": k.text, "fingerprint": k.fingerprint} for k in keys],
            **({"minisign_key": record["minisign_key"]} if record.get("minisign_key") else {}),
        })
        return contact_id

    @staticmethod
    def read_minisign_file(path: str | os.PathLike[str]) -> str:
        """The base64 line of a minisign public key file (``minisign -G`` writes one)."""
        try:
            with open(path, "rb") as fh:
                raw = fh.read(4097)
        except OSError as exc:
            raise ContactError(f"Cannot read the minisign key {os.fspath(path)!r}: "
                               f"{exc.strerror or exc}.") from None
        if len(raw) > 4096:
            raise ContactError(f"{os.fspath(path)!r} is too large for a minisign public key.")
        try:
            return minisign_line(raw.decode("utf-8"))
        except (UnicodeDecodeError, ContactError) as exc:
            raise ContactError(f"{os.fspath(path)!r}: {exc}") from None

    def set_minisign(self, contact_id: int, key_text: str | None) -> Contact:
        """Record (``None``: forget) the minisign key the contact signs replies with;
        once recorded, its replies are imported only when signed with it.  Audited."""
        line = minisign_line(key_text) if key_text else None
        with self._ctx.write():
            contact = self.trusted(contact_id)
            self._repo.set_minisign_key(contact_id, line)
            self._ctx.audit.append(self._ctx.analyst, "contact.minisign", f"contact:{contact_id}",
                                   {"minisign_key": line,
                                    "key_id": signing.parse_public_key(line).key_id_hex
                                    if line else None,
                                    "previous_key_id": contact.minisign_key_id})
        return self.get(contact_id)

    def verify(self, contact_id: int, note: str | None = None) -> Contact:
        """Record that the analyst checked the contact's key fingerprints out of band."""
        with self._ctx.write():
            contact = self.trusted(contact_id)
            now = utc_now()
            self._repo.set_verified(contact_id, self._ctx.analyst, now, note)
            self._ctx.audit.append(self._ctx.analyst, "contact.verify", f"contact:{contact_id}", {
                "fingerprints": [k.fingerprint for k in contact.recipients], "note": note,
                "minisign_fingerprint": contact.minisign_fingerprint,
                "previously_verified_at": contact.verified_at,
            })
        return self.get(contact_id)

    def export(self) -> dict[str, Any]:
        return {
            "format": CONTACTS_FORMAT, "version": 1, "exported_utc": utc_now(),
            "contacts": [{
                "platform": c.platform, "organisation": c.organisation, "name": c.name,
                "role": c.role, "email": c.email,
                "recipients": [{"recipient": k.recipient, "comment": k.comment,
                                "fingerprint": k.fingerprint} for k in c.recipients],
                "minisign_key": c.minisign_key,
                "verified_by": c.verified_by, "verified_at": c.verified_at,
            } for c in self.all()],
        }

    def export_text(self) -> str:
        """:meth:`contacts_export` as the JSON text of a contacts file."""
        return contacts_json(self.export())

    def write_file(self, path: str | os.PathLike[str], *,
                            overwrite: bool = False) -> int:
        """Write the contacts file (read back by :meth:`contacts_import`) to ``path``;
        an existing file is refused unless ``overwrite``.  Returns the number of contacts."""
        from workstation.files import atomic_write

        data = self.export()
        if not overwrite and os.path.exists(path):
            raise ContactError(f"{os.fspath(path)!r} already exists; choose another name.")
        try:
            atomic_write(path, contacts_json(data).encode("utf-8"))
        except OSError as exc:
            raise ContactError(f"Cannot write the contacts file {os.fspath(path)!r}: "
                               f"{exc.strerror or exc}.") from None
        return len(data["contacts"])

    def import_file(self, path: str | os.PathLike[str]) -> list[tuple[str, Contact]]:
        """Add the contacts of an export file (they arrive unverified); (status, contact) each."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ContactError(f"Cannot read the contacts file {os.fspath(path)!r}: {exc}") \
                from None
        if not isinstance(data, dict) or data.get("format") != CONTACTS_FORMAT:
            raise ContactError(f"{os.fspath(path)!r} is not a contacts file exported by "
                               "{how}.", how="contact export")
        entries = data.get("contacts")
        if not isinstance(entries, list):
            raise ContactError("The contacts file has no 'contacts' list.")
        planned: list[tuple[dict[str, Any], list[Recipient]]] = []
        for n, entry in enumerate(entries, start=1):
            try:
                if not isinstance(entry, dict):
                    raise ContactError("not an object")
                platform = normalize_platform(str(entry.get("platform", "")))
                keys_in = entry.get("recipients") or []
                keys = self._parse_recipients(
                    str(k.get("recipient", "")) + (f" {k['comment']}" if k.get("comment") else "")
                    for k in keys_in)
                for k, parsed in zip(keys_in, keys, strict=False):
                    if k.get("fingerprint") and k["fingerprint"] != parsed.fingerprint:
                        raise ContactError(f"the fingerprint of {parsed.text[:20]}… does not "
                                           "match its key (the file was altered?)")
                record: dict[str, Any] = {
                    "platform": platform,
                    "name": clean_text(entry.get("name"), "contact name", required=True),
                    "email": check_contact_email(entry.get("email")),
                    "organisation": clean_text(entry.get("organisation"), "organisation"),
                    "role": clean_text(entry.get("role"), "role"), "source": "import",
                    "created_at": utc_now(), "created_by": self._ctx.analyst,
                    "minisign_key": (minisign_line(str(entry["minisign_key"]))
                                     if entry.get("minisign_key") else None),
                }
            except (WorkstationError, ValueError) as exc:
                raise ContactError(f"Contact {n} in {os.fspath(path)!r}: {exc}") from None
            planned.append((record, keys))
        results: list[tuple[str, int]] = []
        with self._ctx.write():
            for record, keys in planned:
                duplicate = None
                for row in self._repo.find_contact(record["platform"], record["email"]):
                    have = {r["recipient"] for r in self._repo.recipients(row["id"])}
                    if have == {k.text for k in keys}:
                        duplicate = row["id"]
                if duplicate is not None:
                    results.append(("duplicate", duplicate))
                    continue
                results.append(("imported", self._insert_contact(record, keys)))
        return [(status, self.get(cid)) for status, cid in results]


def minisign_line(text: str) -> str:
    """A platform's minisign public key (a ``.pub`` file's text or its base64 line),
    checked, as its base64 line."""
    try:
        return signing.parse_public_key(text).base64()
    except signing.SignatureError as exc:
        raise ContactError(f"Not a minisign public key: {exc}") from None
