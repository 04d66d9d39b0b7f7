"""The agency's keys (``ws.keys``): the minisign signing key, the age archive
identity and the age reply identities (:mod:`workstation.packs.replies`), created,
rotated and exported; their secret halves in the secret store (OS keyring or
passphrase-encrypted files), unlocked at most once per workspace object; and the SMTP
password kept there too."""

from __future__ import annotations

import dataclasses
import os
from functools import cached_property
from typing import Any

from workstation.context import Context
from workstation.crypto import signing
from workstation.crypto.recipients import fingerprint_of
from workstation.crypto.secretstore import PassphraseProvider, SecretNotFound, SecretStore
from workstation.errors import NotFound, WorkstationError
from workstation.files import atomic_text
from workstation.packs.format.spec import compact_fingerprint
from workstation.packs.models import (
    AgencyKey,
    AgencyKeyError,
    OutboxError,
    agency_key_from_row,
    pack_setting,
    smtp_password_name,
)
from workstation.packs.replies import (
    REPLY_ACTION,
    REPLY_SUBJECT,
    ReplyKey,
    reply_keys_from_trail,
)
from workstation.packs.trail import TrailState, entry_intact, key_fingerprint
from workstation.settings import get_text
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now


class KeyService:
    """The agency's keys and the secret store."""

    def __init__(self, ctx: Context, repo: PacksRepo) -> None:
        self._ctx = ctx
        self._repo = repo
        self._secret_options: tuple[str | None, PassphraseProvider | None, str | None] | None = None
        self._secret_cache: dict[str, bytes] | None = None

    def use_secrets(self, *, passphrase_env: str | None = None,
                    passphrase_provider: PassphraseProvider | None = None,
                    backend: str | None = None) -> None:
        """How to unlock the secret store: an environment variable, a prompt, a backend."""
        self._secret_options = (passphrase_env, passphrase_provider, backend)
        self.__dict__.pop("secret_store", None)

    @cached_property
    def secret_store(self) -> SecretStore:
        env, provider, backend = self._secret_options or (None, None, None)
        chosen = (backend or os.environ.get("WORKSTATION_SECRET_BACKEND")
                  or get_text(self._ctx, "secret_backend"))
        if chosen not in ("auto", "keyring", "file"):
            raise WorkstationError(
                f"secret_backend must be auto, keyring or file, not {chosen!r}.")
        return SecretStore(self._ctx.root / "secrets", passphrase_env=env,
                           passphrase_provider=provider, backend=chosen)  # type: ignore[arg-type]

    def secret(self, name: str) -> bytes:
        if self._secret_cache is None:
            self._secret_cache = {}
        if name not in self._secret_cache:
            self._secret_cache[name] = self.secret_store.get(name)
        return self._secret_cache[name]

    def _put_secret(self, name: str, value: bytes) -> None:
        self.secret_store.put(name, value)
        if self._secret_cache is None:
            self._secret_cache = {}
        self._secret_cache[name] = value

    def all(self) -> list[AgencyKey]:
        """The agency's keys, fingerprints computed from the key text (never the stored
        column); the reply identities (kind ``reply``) last."""
        keys = [dataclasses.replace(agency_key_from_row(r),
                                    fingerprint=key_fingerprint(r["public"]))
                for r in self._repo.agency_keys()]
        return keys + [AgencyKey("reply", k.short, k.recipient, k.fingerprint, k.created_at,
                                 k.created_by, k.retired_at) for k in self.reply_keys()]

    # ------------------------------------------------------------ reply identities
    def reply_keys(self) -> list[ReplyKey]:
        """The agency's age reply identities, oldest first (the last one is current), as
        the audit trail records them."""
        return reply_keys_from_trail(self._ctx.audit.entries(subjects=[REPLY_SUBJECT]))

    def reply_recipient(self, *, create: bool = True) -> str | None:
        """The current reply recipient (``age1…``) packs name for encrypted answers;
        made on first need (``create``) for a workspace whose keys predate it."""
        keys = self.reply_keys()
        if keys:
            return keys[-1].recipient
        if not create:
            return None
        if self._repo.current_key("signing") is None:
            raise AgencyKeyError("The agency has no keys in this workspace yet: create them "
                                 "first.", how="key init")
        details = self._new_reply_identity("first use")
        with self._ctx.write():
            self._ctx.audit.append(self._ctx.analyst, REPLY_ACTION, REPLY_SUBJECT, details)
        return str(details["reply_recipient"])

    def _new_reply_identity(self, reason: str) -> dict[str, Any]:
        """A new reply identity, its secret stored; the ``key.reply`` audit details (the
        caller appends them in its transaction).  The secret never enters the trail."""
        import pyrage

        identity = pyrage.x25519.Identity.generate()
        recipient = str(identity.to_public())
        fp = fingerprint_of(recipient)
        name = f"reply-identity-{compact_fingerprint(fp)[:16]}"
        self._ctx.check_writable()
        self._put_secret(name, str(identity).encode("ascii"))
        return {"reply_recipient": recipient, "reply_fingerprint": fp, "secret_name": name,
                "reason": reason, "secret_store": self.secret_store.backend_description()}

    def reply_identities(self) -> list[tuple[ReplyKey, str]]:
        """Every reply identity whose secret is in the store, with its secret text
        (``AGE-SECRET-KEY-1…``), oldest first: answers to older packs still open."""
        found = []
        for key in self.reply_keys():
            try:
                found.append((key, self.secret(key.secret_name).decode("ascii")))
            except SecretNotFound:
                continue
        return found

    def current_key_row(self, kind: str) -> sqlite3.Row:
        row = self._repo.current_key(kind)
        if row is None:
            raise AgencyKeyError("The agency has no keys in this workspace yet: create them "
                                 "first.", how="key init")
        self._check_against_trail(row)
        return row

    def _check_against_trail(self, row: sqlite3.Row) -> None:
        """Refuse a current key row that is not the one the audit trail created (a public
        key or archive recipient swapped outside the application is never used)."""
        subjects = [f"key:{r['key_id']}" for r in self._repo.agency_keys("signing")]
        state = TrailState()
        for entry in self._ctx.audit.entries(subjects=subjects):
            if entry_intact(entry):
                state.apply(entry)
        want = state.keys.get(row["public"])
        if (want is None or want["kind"] != row["kind"] or want["retired"]
                or (row["kind"] == "signing" and want["key_id"] != row["key_id"])
                or row["fingerprint"] != key_fingerprint(row["public"])):
            raise AgencyKeyError(f"The agency's current {row['kind']} key in the database is not "
                                 "the one the audit trail recorded (changed outside the "
                                 "application); not used.", how="verify")

    def signing_public_key(self, key_id: str | None = None) -> signing.PublicKey:
        """The current signing public key, or the (possibly retired) one with ``key_id``."""
        if key_id is None:
            row = self.current_key_row("signing")
        else:
            matches = [r for r in self._repo.agency_keys("signing")
                       if r["key_id"].upper() == key_id.upper()]
            if not matches:
                raise NotFound(f"There is no agency signing key {key_id!r}.")
            row = matches[0]
        return signing.parse_public_key(row["public"], created=row["created_at"])

    def signing_fingerprint(self, key_id: str | None = None) -> str:
        """The fingerprint of the (current) signing key, or of ``key_id``: what `key list`
        shows and a pack's README names (the SHA-256 of its base64 line, grouped)."""
        return key_fingerprint(self.signing_public_key(key_id).base64())

    def export_public_key(self, key_id: str | None = None) -> str:
        """The minisign ``.pub`` text of the (current) signing key, for platforms."""
        key = self.signing_public_key(key_id)
        agency = pack_setting(self._ctx, "agency_name")
        return key.minisign_text(f"{agency} alert pack signing key {key.key_id_hex}")

    def write_public_key(self, path: str | os.PathLike[str], *, overwrite: bool = False,
                         key_id: str | None = None) -> str:
        """Write :meth:`export_public_key` (minisign's ``.pub`` format) to ``path``,
        atomically and readable by all (0644: it is public); an existing file is refused
        unless ``overwrite``.  Returns the text written.  Read-only on the workspace, so
        a read-only workspace (the window's background reads) can do it."""
        text = self.export_public_key(key_id)
        if not overwrite and os.path.exists(path):
            raise AgencyKeyError(f"{os.fspath(path)!r} already exists; choose another name.")
        try:
            atomic_text(path, text, mode=0o644)
        except OSError as exc:
            raise AgencyKeyError(f"Cannot write the public key file {os.fspath(path)!r}: "
                                 f"{exc.strerror or exc}.") from None
        return text

    def export_for_contact(self, contact_id: int, path: str | os.PathLike[str], *,
                           overwrite: bool = False) -> dict[str, str]:
        """Write the current signing public key (minisign ``.pub``) to ``path`` for contact
        ``contact_id``, who receives it apart from any pack (the trust anchor their packs
        are checked against), and audit who exported which key for whom, and when
        (``key.export``).  Returns the key id, fingerprint and file."""
        if self._repo.contact(contact_id) is None:
            raise NotFound(f"There is no contact #{contact_id}.")
        key = self.signing_public_key()
        self._ctx.check_writable()
        self.write_public_key(path, overwrite=overwrite, key_id=key.key_id_hex)
        done = {"contact_id": str(contact_id), "key_id": key.key_id_hex,
                "fingerprint": key_fingerprint(key.base64()), "file": os.fspath(path)}
        with self._ctx.write():
            self._ctx.audit.append(self._ctx.analyst, "key.export", f"contact:{contact_id}",
                                   {**done, "contact_id": contact_id})
        return done

    def signing_key(self) -> signing.SigningKey:
        row = self.current_key_row("signing")
        key = signing.SigningKey.from_bytes(self.secret(row["secret_name"]),
                                            created=row["created_at"])
        if key.key_id_hex != row["key_id"]:
            raise AgencyKeyError("The stored signing key does not match this workspace's key id.")
        return key

    def archive_recipient(self) -> str:
        """The agency's current age archive recipient (``age1…``, public): what a
        colleague encrypts case bundles to (``workstation key export --age``).  Checked
        against the audit trail; no keys yet: :class:`AgencyKeyError` naming ``key init``."""
        return str(self.current_key_row("archive")["public"])

    def archive_identity(self) -> str:
        """The agency's age archive identity (``AGE-SECRET-KEY-1…``); a secret."""
        row = self.current_key_row("archive")
        return self.secret(row["secret_name"]).decode("ascii")

    def init(self) -> list[AgencyKey]:
        """Create the agency's signing key and archive identity."""
        import pyrage

        if self._repo.current_key("signing") is not None:
            raise AgencyKeyError("This workspace already has an agency signing key; use "
                                 "{how} to replace it.", how="key rotate")
        key = signing.generate_key()
        public = key.public_key().base64()
        created = utc_now()
        sk_name = f"signing-key-{key.key_id_hex}"
        archive_row = self._repo.current_key("archive")
        new_archive: tuple[str, str, str] | None = None
        if archive_row is None:
            identity = pyrage.x25519.Identity.generate()
            recipient = str(identity.to_public())
            fp = fingerprint_of(recipient)
            ar_name = f"archive-identity-{compact_fingerprint(fp)[:16]}"
            new_archive = (recipient, fp, ar_name)
            self._put_secret(ar_name, str(identity).encode("ascii"))
        self._put_secret(sk_name, key.to_bytes())
        reply = None if self.reply_keys() else self._new_reply_identity("key init")
        with self._ctx.write():
            self._repo.insert_key("signing", key.key_id_hex, public, fingerprint_of(public),
                                       sk_name, created, self._ctx.analyst)
            details: dict[str, Any] = {
                "signing_key_id": key.key_id_hex, "signing_public_key": public,
                "secret_store": self.secret_store.backend_description(),
            }
            if new_archive is not None:
                recipient, fp, ar_name = new_archive
                self._repo.insert_key("archive", compact_fingerprint(fp), recipient, fp,
                                           ar_name, created, self._ctx.analyst)
                details.update(archive_recipient=recipient, archive_fingerprint=fp)
            if reply is not None:
                self._ctx.audit.append(self._ctx.analyst, REPLY_ACTION, REPLY_SUBJECT, reply)
            self._ctx.audit.append(self._ctx.analyst, "key.create", f"key:{key.key_id_hex}",
                                   details)
        return self.all()

    def rotate(self) -> list[AgencyKey]:
        """A new signing key and a new reply identity; the old public key is kept
        (retired) so old packs verify, and the old reply identities so answers to old
        packs still open."""
        old = self.current_key_row("signing")
        key = signing.generate_key()
        public = key.public_key().base64()
        sk_name = f"signing-key-{key.key_id_hex}"
        self._put_secret(sk_name, key.to_bytes())
        reply = self._new_reply_identity("key rotate")
        now = utc_now()
        with self._ctx.write():
            self._repo.retire_key(old["id"], now)
            self._ctx.audit.append(self._ctx.analyst, REPLY_ACTION, REPLY_SUBJECT, reply)
            self._repo.insert_key("signing", key.key_id_hex, public, fingerprint_of(public),
                                       sk_name, now, self._ctx.analyst)
            self._ctx.audit.append(self._ctx.analyst, "key.rotate", f"key:{key.key_id_hex}", {
                "old_key_id": old["key_id"], "new_key_id": key.key_id_hex,
                "signing_public_key": public,
            })
        return self.all()

    def set_smtp_password(self, password: str) -> None:
        host, user = self._ctx.setting("smtp_host"), self._ctx.setting("smtp_user")
        if not host or not user:
            raise OutboxError("Set smtp_host and smtp_user first ({how}, `workstation config "
                              "smtp_user USER`).", how="config smtp_host HOST",
                              window="Set the SMTP server and user first (Workspace → "
                                     "Settings… → E-mail).")
        if not password:
            raise OutboxError("The SMTP password is empty.")
        self._put_secret(smtp_password_name(host, user), password.encode("utf-8"))
        with self._ctx.write():
            self._ctx.audit.append(self._ctx.analyst, "smtp.password", f"smtp:{host}",
                              {"host": host, "user": user,
                               "secret_store": self.secret_store.backend_description()})

    def smtp_password_stored(self) -> bool:
        """Whether a password is stored for the configured SMTP host and user (never asks
        for the passphrase: only whether the secret exists)."""
        host, user = self._ctx.setting("smtp_host"), self._ctx.setting("smtp_user")
        if not host or not user:
            return False
        return self.secret_store.has(smtp_password_name(host, user))
