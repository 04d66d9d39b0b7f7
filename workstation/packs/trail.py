"""What the audit trail says the contacts, their keys, the agency's keys, the settings and
the packs should be: replayed from the audited actions, so that a row changed with plain
``sqlite3`` (a contact's age recipient swapped for an attacker's, a verified flag set, a
pack's state or hash rewritten) is found by ``verify`` and refused before sealing."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from workstation.models import AuditEntry
from workstation.storage.audit import canonical_json, entry_hash

#: The contact columns ``contact.add`` records.
CONTACT_FIELDS = ("platform", "name", "email", "organisation", "role", "source")

#: The pack columns the audited pack actions determine.
PACK_FIELDS = ("contact_id", "platform", "state", "action", "priority", "reason", "file_name",
               "file_sha256", "manifest_sha256", "sums_sha256", "signing_key_id", "transport",
               "destination")


def key_fingerprint(text: str) -> str:
    """The fingerprint of a key's text (what ``fingerprint_of`` gives for canonical ASCII
    keys), computed whenever shown or used: a stored fingerprint column is never trusted.
    Text that is not ASCII (only possible when edited outside the application) still gets
    a fingerprint, which then matches nothing recorded."""
    digest = hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def entry_intact(entry: AuditEntry) -> bool:
    """Whether an audit entry's stored hash matches its contents."""
    try:
        return entry.hash == entry_hash(entry.seq, entry.at, entry.analyst, entry.action,
                                        entry.subject, canonical_json(entry.details),
                                        entry.prev_hash)
    except (TypeError, ValueError):
        return False


@dataclass
class TrailState:
    """Contacts, agency keys, settings and packs as the audit trail describes them."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # by public key text
    settings: dict[str, str] = field(default_factory=dict)
    setting_history: dict[str, list[str]] = field(default_factory=dict)  # every value set
    packs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by ref

    def apply(self, entry: AuditEntry) -> None:
        """Fold one audit entry into the state (one whose details are malformed, possible
        only when written outside the application, is skipped: the chain reports it)."""
        with contextlib.suppress(TypeError, ValueError, AttributeError, KeyError):
            self._apply(entry)

    def _apply(self, entry: AuditEntry) -> None:
        kind, _, ident = entry.subject.partition(":")
        details = entry.details if isinstance(entry.details, dict) else {}
        if kind == "contact" and ident.isdigit():
            self._contact(entry, int(ident), details)
        elif kind == "key":
            self._key(entry.action, details)
        elif kind == "setting" and entry.action == "settings.set":
            if details.get("new") is not None:
                key = str(details.get("key", ident))
                self.settings[key] = str(details["new"])
                self.setting_history.setdefault(key, []).append(str(details["new"]))
        elif kind == "pack":
            self._pack(entry.action, ident, details)

    def _contact(self, entry: AuditEntry, contact_id: int, details: dict[str, Any]) -> None:
        if entry.action == "contact.add":
            recipients = details.get("recipients") or []
            self.contacts[contact_id] = {
                **{k: details.get(k) for k in CONTACT_FIELDS},
                "recipients": sorted(str(r.get("recipient")) for r in recipients
                                     if isinstance(r, dict)),
                "verified": None, "minisign_key": details.get("minisign_key"),
            }
        elif entry.action == "contact.minisign" and contact_id in self.contacts:
            self.contacts[contact_id]["minisign_key"] = details.get("minisign_key")
        elif entry.action == "contact.verify" and contact_id in self.contacts:
            self.contacts[contact_id]["verified"] = {
                "by": entry.analyst, "note": details.get("note"),
                "fingerprints": sorted(str(f) for f in details.get("fingerprints") or []),
                "minisign_fingerprint": details.get("minisign_fingerprint"),
            }

    def _key(self, action: str, details: dict[str, Any]) -> None:
        public = details.get("signing_public_key")
        if action == "key.rotate":
            for info in self.keys.values():
                if info["kind"] == "signing" and info["key_id"] == details.get("old_key_id"):
                    info["retired"] = True
            key_id = details.get("new_key_id")
        elif action == "key.create":
            key_id = details.get("signing_key_id")
            if details.get("archive_recipient"):
                self.keys[str(details["archive_recipient"])] = {
                    "kind": "archive", "key_id": None, "retired": False}
        else:
            return
        if public:
            self.keys[str(public)] = {"kind": "signing", "key_id": key_id, "retired": False}

    def _pack(self, action: str, ref: str, details: dict[str, Any]) -> None:
        if action == "pack.create":
            self.packs[ref] = {
                "contact_id": details.get("contact_id"), "platform": details.get("platform"),
                "state": "draft", "action": details.get("action"),
                "priority": details.get("priority"), "reason": details.get("reason"),
                "captures": sorted(int(c) for c in details.get("captures") or []),
                "transport": None, "destination": None, "outcomes": {},
            }
            return
        pack = self.packs.get(ref)
        if pack is None:
            return
        if action == "pack.seal":
            pack.update(state="sealed", file_name=details.get("file"),
                        file_sha256=details.get("sha256"),
                        manifest_sha256=details.get("manifest_sha256"),
                        sums_sha256=details.get("sha256sums_sha256"),
                        signing_key_id=details.get("signing_key_id"))
        elif action == "pack.queue":
            pack.update(state="queued", transport="smtp", destination=details.get("to"))
        elif action == "pack.sending":
            pack["state"] = "sending"
        elif action == "pack.send_failed" and details.get("transport") == "smtp":
            pack["state"] = "queued"
        elif action == "pack.send":
            pack["state"] = "sent"
            if details.get("transport") in ("folder", "eml"):  # an .eml: into a folder too
                pack.update(transport="folder", destination=details.get("to"))
        elif action == "pack.outcomes":
            pack["state"] = details.get("new_state")
            for change in details.get("outcomes") or []:
                if isinstance(change, dict):
                    pack["outcomes"][int(change.get("capture_id", 0))] = change.get("outcome")


def contact_differences(want: dict[str, Any], row: Any, recipients: list[Any]) -> list[str]:
    """How a contact row and its recipient rows differ from the trail's ``want``."""
    found: list[str] = []
    for column in CONTACT_FIELDS:
        if row[column] != want.get(column):
            found.append(f"{column} is {row[column]!r} but {want.get(column)!r} according to "
                         "the audit trail")
    if row["minisign_key"] != want.get("minisign_key"):
        found.append("its minisign key (for signed replies) differs from the audit trail")
    have_keys = sorted(str(r["recipient"]) for r in recipients)
    if have_keys != want["recipients"]:
        found.append("its recipient keys differ from the audit trail (a key was replaced, "
                     "added or removed outside the application)")
    for r in recipients:
        if r["fingerprint"] != key_fingerprint(r["recipient"]):
            found.append(f"contact_recipients row {r['id']}: the stored fingerprint does not "
                         "match its key")
    verified = want.get("verified")
    if verified is None:
        if row["verified_at"] is not None or row["verified_by"] is not None:
            found.append("it is marked verified but the audit trail has no verification")
    elif row["verified_at"] is None:
        found.append("its verification was removed outside the application")
    elif (row["verified_by"], row["verify_note"]) != (verified["by"], verified["note"]):
        found.append("its verification (by, note) differs from the audit trail")
    return found
