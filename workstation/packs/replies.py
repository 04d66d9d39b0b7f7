"""The encrypted return path: the agency's age *reply* identities and the checks an
answer from a platform passes before its outcomes are imported.

Every pack (format version 2) names the agency's current reply recipient
(``outcome_reporting.reply_recipient``, an ``age1…`` X25519 key); the platform runs::

    age -r age1… -o outcomes.csv.age outcomes.csv
    minisign -S -s platform.key -m outcomes.csv.age      # optional: a signed reply

A reply identity's secret half lives in the secret store (OS keyring or
passphrase-encrypted files) like the agency's other secrets; its public half is
recorded in the audit trail (``key.reply`` entries under the subject ``key:reply``),
which is where :class:`ReplyKey` records are read from.  Older reply identities are
kept when a new one is made (``key rotate``), so answers to older packs still open.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pyrage

from workstation.crypto import signing
from workstation.models import AuditEntry
from workstation.packs.models import OutcomeImportError
from workstation.packs.trail import entry_intact, key_fingerprint

#: The audit subject and action recording each reply identity (its public half).
REPLY_SUBJECT = "key:reply"
REPLY_ACTION = "key.reply"

#: An outcome file is small: a row per item.  Larger files are refused unread.
MAX_OUTCOME_FILE = 20 * 1024 * 1024

#: How an age file starts: the binary header, or the ASCII-armoured form.
_AGE_MAGIC = (b"age-encryption.org/v1\n", b"-----BEGIN AGE ENCRYPTED FILE-----")


@dataclass(frozen=True, slots=True)
class ReplyKey:
    """One of the agency's reply identities (public half, and where its secret is)."""

    recipient: str
    fingerprint: str
    secret_name: str
    created_at: str
    created_by: str
    retired_at: str | None = None

    @property
    def short(self) -> str:
        """The fingerprint without spaces, first 16 hex digits (a key id for messages)."""
        return self.fingerprint.replace(" ", "")[:16].upper()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reply_keys_from_trail(entries: Iterable[AuditEntry]) -> list[ReplyKey]:
    """The reply identities the (intact) ``key.reply`` entries record, oldest first;
    each one but the newest is retired when the next was made."""
    keys: list[ReplyKey] = []
    for entry in entries:
        if entry.action != REPLY_ACTION or not entry_intact(entry):
            continue
        details = entry.details if isinstance(entry.details, dict) else {}
        recipient, secret_name = details.get("reply_recipient"), details.get("secret_name")
        if not isinstance(recipient, str) or not isinstance(secret_name, str):
            continue
        if keys:
            keys[-1] = dataclasses.replace(keys[-1], retired_at=entry.at)
        keys.append(ReplyKey(recipient, key_fingerprint(recipient), secret_name, entry.at,
                             entry.analyst))
    return keys


def is_age_file(data: bytes) -> bool:
    """Whether ``data`` is an age file (by its header, whatever the file is called)."""
    return data.lstrip(b"\r\n\t ").startswith(_AGE_MAGIC)


def decrypt_reply(data: bytes, identities: Sequence[tuple[ReplyKey, str]],
                  name: str) -> tuple[bytes, ReplyKey]:
    """Decrypt an age-encrypted answer with whichever reply identity it was made for
    (newest first); return the plaintext and that key.  Each failure is refused with
    its cause: no reply identity, another recipient, a damaged or truncated file."""
    if not identities:
        raise OutcomeImportError(
            f"{name} is encrypted but this workspace has no reply key to open it "
            "({how} creates one; a pack built here names it).", how="key init")
    damage: str | None = None
    for key, text in reversed(identities):
        try:
            identity = pyrage.x25519.Identity.from_str(text.strip())
        except pyrage.IdentityError:
            damage = damage or f"the stored reply key {key.short} is unreadable"
            continue
        try:
            return bytes(pyrage.decrypt(data, [identity])), key
        except pyrage.DecryptError as exc:
            if "no matching keys" not in str(exc).lower():
                damage = str(exc)
    if damage is not None:
        raise OutcomeImportError(
            f"{name} cannot be decrypted: the file is damaged, truncated or was altered "
            f"({damage}); nothing was imported. Ask the platform to send it again.")
    known = ", ".join(k.short for k, _t in identities)
    raise OutcomeImportError(
        f"{name} is not encrypted to any of this agency's reply keys ({known}): it was "
        "encrypted to another recipient; nothing was imported. The platform must use the "
        "reply_recipient named in the pack's manifest.json.")


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The signature an answer came with, checked against its contacts' keys."""

    key_id: str | None
    contacts: tuple[int, ...]


def check_reply_signature(raw: bytes, sig_text: str | None, sig_name: str,
                          contact_keys: dict[int, str | None], name: str) -> SignatureCheck:
    """Check an answer's minisign signature (over the file as received) against the
    key on record for every contact whose packs it answers.

    A contact with a key on record requires a signature, which must verify with that
    key; a signature on an answer to a contact without a key cannot be checked and is
    refused too.
    """
    contacts = tuple(sorted(contact_keys))
    if sig_text is None:
        required = [cid for cid in contacts if contact_keys[cid]]
        if required:
            raise OutcomeImportError(
                f"Signed replies are required for contact #{required[0]} (a minisign key is "
                f"on record), but {name} came without a signature ({sig_name} not found); "
                "nothing was imported.")
        return SignatureCheck(None, contacts)
    digest = hashlib.blake2b(raw, digest_size=64).digest()
    key_id: str | None = None
    for cid in contacts:
        text = contact_keys[cid]
        if not text:
            raise OutcomeImportError(
                f"{name} is signed ({sig_name}) but contact #{cid} has no minisign key on "
                "record, so the signature cannot be checked; nothing was imported. Record "
                f"it first: workstation contact set-minisign {cid} PUBFILE")
        try:
            public = signing.parse_public_key(text)
            signing.verify_digest(public, digest, sig_text)
        except signing.SignatureError as exc:
            raise OutcomeImportError(
                f"The signature {sig_name} does not verify with contact #{cid}'s minisign "
                f"key: {exc} Nothing was imported.") from None
        key_id = public.key_id_hex
    return SignatureCheck(key_id, contacts)
