"""Alert packs, the agency's keys, platform contacts and the outbox, as part of the
Workspace façade.

``PackFeatures`` is mixed into :class:`workstation.workspace.Workspace`.  Every
change is one transaction with its audit entry (``key.create``, ``key.rotate``,
``contact.add``, ``contact.verify``, ``pack.create``, ``pack.seal``,
``pack.queue``, ``pack.sending``, ``pack.send``, ``pack.send_failed``,
``pack.send_uncertain``, ``pack.outcomes``, ``smtp.password``).  SQL is in
:mod:`workstation.storage.packs_repo`; the pack's content and sealing in
:mod:`workstation.packs.format`; delivery in :mod:`workstation.packs.transports`.

Secrets (the signing key, the archive identity, the SMTP password) live in a
:class:`SecretStore` (OS keyring, or passphrase-encrypted files in
``<workspace>/secrets``); they are unlocked at most once per Workspace object.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import statistics
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from workstation import __version__
from workstation.crypto import signing
from workstation.crypto.recipients import (
    InvalidRecipient,
    Recipient,
    fingerprint_of,
    parse_recipient,
)
from workstation.crypto.secretstore import PassphraseProvider, SecretNotFound, SecretStore
from workstation.errors import NotFound, WorkstationError
from workstation.models import Capture
from workstation.packs.format.members import make_preview, recipient_steps
from workstation.packs.format.policies import choose_basis, load_policies
from workstation.packs.format.report import report_html
from workstation.packs.format.sealing import seal
from workstation.packs.format.spec import (
    ACTIONS,
    FINAL_OUTCOMES,
    OUTCOMES,
    PACK_SUFFIX,
    PRIORITIES,
    PackError,
    PackItem,
    PackRecipient,
    PackSpec,
    compact_fingerprint,
)
from workstation.platforms import normalize_platform
from workstation.progress import CancelToken, ProgressCallback
from workstation.storage.packs_repo import PacksRepo, dumps
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import format_utc, parse_iso, utc_now

if TYPE_CHECKING:
    from workstation.reading.service import IndicatorRecord, OcrRun

DEFAULTS = {
    "agency_name": "National Crime Agency (UK)",
    "issuing_unit": "Organised Immigration Crime — Online Referrals",
    "contact_24x7_name": "NCA Control Centre (24/7)",
    "contact_24x7_phone": "+44 370 496 7622",
    "contact_24x7_email": "",
    "handling_marking": "OFFICIAL-SENSITIVE",
    "pack_ref_prefix": "NCA-AP",
    "deadline_hours_urgent": "24",
    "deadline_hours_normal": "72",
    "preservation_days": "90",
}
PACK_STATES = ("draft", "sealed", "queued", "sending", "sent", "acknowledged", "closed")
SENT_STATES = ("sent", "acknowledged", "closed")
LINK_KINDS = ("phone", "whatsapp", "telegram", "url", "handle", "email", "crypto")
_EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PROFILE_URLS = {
    "facebook": "https://www.facebook.com/{}", "instagram": "https://www.instagram.com/{}/",
    "tiktok": "https://www.tiktok.com/@{}", "youtube": "https://www.youtube.com/@{}",
    "x": "https://x.com/{}", "telegram": "https://t.me/{}", "whatsapp": "https://wa.me/{}",
}
CONTACTS_FORMAT = "analyst-workstation-contacts"


class AgencyKeyError(WorkstationError):
    """The agency key is missing, or already exists."""


class ContactError(WorkstationError):
    """A contact is malformed or unknown."""


class OutboxError(WorkstationError):
    """A pack cannot be sent (wrong state, missing file, transport not configured)."""


class OutcomeImportError(WorkstationError):
    """An outcome file has problems; nothing was imported."""


# ---------------------------------------------------------------------------
# Values crossing the boundary


@dataclass(frozen=True, slots=True)
class AgencyKey:
    kind: str  # signing | archive
    key_id: str
    public: str
    fingerprint: str
    created_at: str
    created_by: str
    retired_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ContactKey:
    kind: str
    recipient: str
    fingerprint: str
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    platform: str
    organisation: str | None
    name: str
    role: str | None
    email: str
    source: str
    created_at: str
    created_by: str
    verified_by: str | None
    verified_at: str | None
    verify_note: str | None
    recipients: tuple[ContactKey, ...] = ()

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recipients"] = [r.to_dict() for r in self.recipients]
        data["verified"] = self.verified
        return data


@dataclass(frozen=True, slots=True)
class PackItemState:
    capture_id: int
    position: int
    outcome: str
    outcome_at: str | None
    outcome_comment: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Pack:
    id: int
    ref: str
    contact_id: int
    platform: str
    state: str
    priority: str
    action: str
    reason: str
    basis: dict[str, Any]
    created_at: str
    created_by: str
    sealed_at: str | None
    deadline_at: str | None
    file: str | None
    file_size: int | None
    file_sha256: str | None
    signing_key_id: str | None
    recipients: list[dict[str, Any]]
    message_id: str | None
    transport: str | None
    destination: str | None
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    sent_at: str | None
    acknowledged_at: str | None
    closed_at: str | None
    items: tuple[PackItemState, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["items"] = [i.to_dict() for i in self.items]
        return data


@dataclass(frozen=True, slots=True)
class SendResult:
    ref: str
    status: str  # sent | queued | uncertain
    transport: str
    destination: str | None
    message: str
    attempts: int = 0
    next_attempt_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class OutcomeImport:
    file: str
    rows: int
    packs: dict[str, str] = field(default_factory=dict)  # ref -> new state

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PlatformStats:
    platform: str
    packs_sent: int
    items: int
    answered: int
    removed: int
    restricted: int
    no_violation: int
    already_gone: int
    pending: int
    removal_rate: float | None
    median_hours_to_action: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------


def smtp_password_name(host: str, user: str) -> str:
    digest = hashlib.sha256(f"{host.lower()}\0{user}".encode()).hexdigest()[:16]
    return f"smtp-password-{digest}"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def content_type_of(url: str | None, platform: str | None) -> str:
    """A best-effort description of what the URL points at."""
    if not url:
        return "screenshot"
    parts = urlsplit(url if "://" in url else "https://" + url)
    path = parts.path.lower()
    host = (parts.hostname or "").lower()
    for needle, kind in (("/reel", "reel"), ("/shorts/", "short video"), ("/stories/", "story"),
                         ("/video/", "video"), ("/videos/", "video"), ("/watch", "video"),
                         ("/live", "live video"), ("/status/", "post"), ("/p/", "post"),
                         ("/posts/", "post"), ("/permalink", "post"), ("/photo", "photo"),
                         ("/groups/", "group post"), ("/channel/", "channel")):
        if needle in path:
            return kind
    if host.endswith("youtu.be") or "v" in parse_qs(parts.query):
        return "video"
    if platform == "telegram":
        segments = [s for s in path.split("/") if s]
        return "channel message" if len(segments) >= 2 else "channel"
    if platform == "whatsapp":
        return "group invite" if host.startswith("chat.") else "contact link"
    return "profile" if path.strip("/") else "page"


def profile_url_of(platform: str | None, handle: str | None) -> str | None:
    if not platform or not handle:
        return None
    template = _PROFILE_URLS.get(platform)
    if template is None:
        return None
    if platform == "facebook" and handle.isdigit():
        return f"https://www.facebook.com/profile.php?id={handle}"
    return template.format(handle)


def _account_id(platform: str | None, handle: str | None) -> str | None:
    if platform in ("facebook", "whatsapp") and handle and handle.isdigit():
        return handle
    return None


def _clean(text: str | None, what: str, *, required: bool = False, limit: int = 200) -> str | None:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        if required:
            raise ContactError(f"The {what} must not be empty.")
        return None
    if len(cleaned) > limit:
        raise ContactError(f"The {what} is too long (at most {limit} characters).")
    return cleaned


def _check_email(email: str | None) -> str:
    value = (email or "").strip()
    if not _EMAIL_RE.match(value) or len(value) > 254:
        raise ContactError(f"{value!r} is not an e-mail address (name@example.com).")
    return value


class PackFeatures:
    """Keys, contacts, packs and the outbox (mixed into ``Workspace``)."""

    # Provided by Workspace:
    root: Path
    store: Any
    readonly: bool
    settings: Any
    audit: Any
    _write: Callable[[], AbstractContextManager[None]]
    capture: Callable[[int], Capture]
    setting: Callable[..., str | None]
    current_ocr: Callable[[int], OcrRun | None]
    indicators: Callable[..., list[IndicatorRecord]]
    pdq_of: Callable[[int], tuple[str, int] | None]
    thumbnail_path: Callable[[Capture], Path]

    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        @property
        def analyst(self) -> str: ...

    _secret_options: tuple[str | None, PassphraseProvider | None, str | None] | None = None
    _secret_cache: dict[str, bytes] | None = None

    # ------------------------------------------------------------ plumbing
    @cached_property
    def packs_repo(self) -> PacksRepo:
        return PacksRepo(self.conn)

    def _pack_setting(self, key: str) -> str:
        value = self.setting(key)
        return DEFAULTS.get(key, "") if value is None else value

    def _int_pack_setting(self, key: str) -> int:
        try:
            return int(self._pack_setting(key))
        except ValueError:
            return int(DEFAULTS[key])

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
                  or self.setting("secret_backend") or "auto")
        if chosen not in ("auto", "keyring", "file"):
            raise WorkstationError(
                f"secret_backend must be auto, keyring or file, not {chosen!r}.")
        return SecretStore(self.root / "secrets", passphrase_env=env,
                           passphrase_provider=provider, backend=chosen)  # type: ignore[arg-type]

    def _secret(self, name: str) -> bytes:
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

    # ------------------------------------------------------------------ keys
    def agency_keys(self) -> list[AgencyKey]:
        return [_agency_key(r) for r in self.packs_repo.agency_keys()]

    def _current_key_row(self, kind: str) -> sqlite3.Row:
        row = self.packs_repo.current_key(kind)
        if row is None:
            raise AgencyKeyError("The agency has no keys in this workspace yet: run "
                            "`workstation key init` first.")
        return row

    def signing_public_key(self, key_id: str | None = None) -> signing.PublicKey:
        """The current signing public key, or the (possibly retired) one with ``key_id``."""
        if key_id is None:
            row = self._current_key_row("signing")
        else:
            matches = [r for r in self.packs_repo.agency_keys("signing")
                       if r["key_id"].upper() == key_id.upper()]
            if not matches:
                raise NotFound(f"There is no agency signing key {key_id!r}.")
            row = matches[0]
        return signing.parse_public_key(row["public"], created=row["created_at"])

    def export_public_key(self, key_id: str | None = None) -> str:
        """The minisign ``.pub`` text of the (current) signing key, for platforms."""
        key = self.signing_public_key(key_id)
        agency = self._pack_setting("agency_name")
        return key.minisign_text(f"{agency} alert pack signing key {key.key_id_hex}")

    def _signing_key(self) -> signing.SigningKey:
        row = self._current_key_row("signing")
        key = signing.SigningKey.from_bytes(self._secret(row["secret_name"]),
                                            created=row["created_at"])
        if key.key_id_hex != row["key_id"]:
            raise AgencyKeyError("The stored signing key does not match this workspace's key id.")
        return key

    def archive_identity(self) -> str:
        """The agency's age archive identity (``AGE-SECRET-KEY-1…``); a secret."""
        row = self._current_key_row("archive")
        return self._secret(row["secret_name"]).decode("ascii")

    def key_init(self) -> list[AgencyKey]:
        """Create the agency's signing key and archive identity."""
        import pyrage

        if self.packs_repo.current_key("signing") is not None:
            raise AgencyKeyError("This workspace already has an agency signing key; use "
                            "`workstation key rotate` to replace it.")
        key = signing.generate_key()
        public = key.public_key().base64()
        created = utc_now()
        sk_name = f"signing-key-{key.key_id_hex}"
        archive_row = self.packs_repo.current_key("archive")
        new_archive: tuple[str, str, str] | None = None
        if archive_row is None:
            identity = pyrage.x25519.Identity.generate()
            recipient = str(identity.to_public())
            fp = fingerprint_of(recipient)
            ar_name = f"archive-identity-{compact_fingerprint(fp)[:16]}"
            new_archive = (recipient, fp, ar_name)
            self._put_secret(ar_name, str(identity).encode("ascii"))
        self._put_secret(sk_name, key.to_bytes())
        with self._write():
            self.packs_repo.insert_key("signing", key.key_id_hex, public, fingerprint_of(public),
                                       sk_name, created, self.analyst)
            details: dict[str, Any] = {
                "signing_key_id": key.key_id_hex, "signing_public_key": public,
                "secret_store": self.secret_store.backend_description(),
            }
            if new_archive is not None:
                recipient, fp, ar_name = new_archive
                self.packs_repo.insert_key("archive", compact_fingerprint(fp), recipient, fp,
                                           ar_name, created, self.analyst)
                details.update(archive_recipient=recipient, archive_fingerprint=fp)
            self.audit.append(self.analyst, "key.create", f"key:{key.key_id_hex}", details)
        return self.agency_keys()

    def key_rotate(self) -> list[AgencyKey]:
        """A new signing key; the old public key is kept (retired) so old packs verify."""
        old = self._current_key_row("signing")
        key = signing.generate_key()
        public = key.public_key().base64()
        sk_name = f"signing-key-{key.key_id_hex}"
        self._put_secret(sk_name, key.to_bytes())
        now = utc_now()
        with self._write():
            self.packs_repo.retire_key(old["id"], now)
            self.packs_repo.insert_key("signing", key.key_id_hex, public, fingerprint_of(public),
                                       sk_name, now, self.analyst)
            self.audit.append(self.analyst, "key.rotate", f"key:{key.key_id_hex}", {
                "old_key_id": old["key_id"], "new_key_id": key.key_id_hex,
                "signing_public_key": public,
            })
        return self.agency_keys()

    def set_smtp_password(self, password: str) -> None:
        host, user = self.setting("smtp_host"), self.setting("smtp_user")
        if not host or not user:
            raise OutboxError("Set smtp_host and smtp_user first (`workstation config smtp_host "
                              "HOST`, `workstation config smtp_user USER`).")
        if not password:
            raise OutboxError("The SMTP password is empty.")
        self._put_secret(smtp_password_name(host, user), password.encode("utf-8"))
        with self._write():
            self.audit.append(self.analyst, "smtp.password", f"smtp:{host}",
                              {"host": host, "user": user,
                               "secret_store": self.secret_store.backend_description()})

    def smtp_password_stored(self) -> bool:
        """Whether a password is stored for the configured SMTP host and user (never asks
        for the passphrase: only whether the secret exists)."""
        host, user = self.setting("smtp_host"), self.setting("smtp_user")
        if not host or not user:
            return False
        return self.secret_store.has(smtp_password_name(host, user))

    # -------------------------------------------------------------- contacts
    def contacts(self, platform: str | None = None) -> list[Contact]:
        return [self._contact(r) for r in self.packs_repo.contacts(platform)]

    def contact(self, contact_id: int) -> Contact:
        row = self.packs_repo.contact(contact_id)
        if row is None:
            raise NotFound(f"There is no contact #{contact_id}.")
        return self._contact(row)

    def _contact(self, row: sqlite3.Row) -> Contact:
        keys = tuple(ContactKey(r["kind"], r["recipient"], r["fingerprint"], r["comment"])
                     for r in self.packs_repo.recipients(row["id"]))
        return Contact(row["id"], row["platform"], row["organisation"], row["name"], row["role"],
                       row["email"], row["source"], row["created_at"], row["created_by"],
                       row["verified_by"], row["verified_at"], row["verify_note"], keys)

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

    def contact_add(self, platform: str, name: str, email: str, recipients: Sequence[str],
                    organisation: str | None = None, role: str | None = None,
                    *, source: str = "manual") -> Contact:
        try:
            platform = normalize_platform(platform)
        except ValueError as exc:
            raise ContactError(str(exc)) from None
        record = {
            "platform": platform, "name": _clean(name, "contact name", required=True),
            "email": _check_email(email), "organisation": _clean(organisation, "organisation"),
            "role": _clean(role, "role"), "source": source, "created_at": utc_now(),
            "created_by": self.analyst,
        }
        keys = self._parse_recipients(recipients)
        with self._write():
            contact_id = self._insert_contact(record, keys)
        return self.contact(contact_id)

    def _insert_contact(self, record: dict[str, Any], keys: list[Recipient]) -> int:
        contact_id = self.packs_repo.insert_contact(record)
        for key in keys:
            self.packs_repo.add_recipient(contact_id, key.kind, key.text, key.comment,
                                          key.fingerprint)
        self.audit.append(self.analyst, "contact.add", f"contact:{contact_id}", {
            **{k: record[k] for k in ("platform", "name", "email", "organisation", "role",
                                      "source")},
            "recipients": [{"recipient": k.text, "fingerprint": k.fingerprint} for k in keys],
        })
        return contact_id

    def contact_verify(self, contact_id: int, note: str | None = None) -> Contact:
        """Record that the analyst checked the contact's key fingerprints out of band."""
        with self._write():
            contact = self.contact(contact_id)
            now = utc_now()
            self.packs_repo.set_verified(contact_id, self.analyst, now, note)
            self.audit.append(self.analyst, "contact.verify", f"contact:{contact_id}", {
                "fingerprints": [k.fingerprint for k in contact.recipients], "note": note,
                "previously_verified_at": contact.verified_at,
            })
        return self.contact(contact_id)

    def contacts_export(self) -> dict[str, Any]:
        return {
            "format": CONTACTS_FORMAT, "version": 1, "exported_utc": utc_now(),
            "contacts": [{
                "platform": c.platform, "organisation": c.organisation, "name": c.name,
                "role": c.role, "email": c.email,
                "recipients": [{"recipient": k.recipient, "comment": k.comment,
                                "fingerprint": k.fingerprint} for k in c.recipients],
                "verified_by": c.verified_by, "verified_at": c.verified_at,
            } for c in self.contacts()],
        }

    def contacts_export_text(self) -> str:
        """:meth:`contacts_export` as the JSON text of a contacts file."""
        return _contacts_json(self.contacts_export())

    def write_contacts_file(self, path: str | os.PathLike[str], *,
                            overwrite: bool = False) -> int:
        """Write the contacts file (read back by :meth:`contacts_import`) to ``path``;
        an existing file is refused unless ``overwrite``.  Returns the number of contacts."""
        from workstation.evidence.store import atomic_write

        data = self.contacts_export()
        if not overwrite and os.path.exists(path):
            raise ContactError(f"{os.fspath(path)!r} already exists; choose another name.")
        try:
            atomic_write(path, _contacts_json(data).encode("utf-8"))
        except OSError as exc:
            raise ContactError(f"Cannot write the contacts file {os.fspath(path)!r}: "
                               f"{exc.strerror or exc}.") from None
        return len(data["contacts"])

    def contacts_import(self, path: str | os.PathLike[str]) -> list[tuple[str, Contact]]:
        """Add the contacts of an export file (they arrive unverified); (status, contact) each."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ContactError(f"Cannot read the contacts file {os.fspath(path)!r}: {exc}") \
                from None
        if not isinstance(data, dict) or data.get("format") != CONTACTS_FORMAT:
            raise ContactError(f"{os.fspath(path)!r} is not a contacts file exported by "
                               "`workstation contact export`.")
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
                    "name": _clean(entry.get("name"), "contact name", required=True),
                    "email": _check_email(entry.get("email")),
                    "organisation": _clean(entry.get("organisation"), "organisation"),
                    "role": _clean(entry.get("role"), "role"), "source": "import",
                    "created_at": utc_now(), "created_by": self.analyst,
                }
            except (WorkstationError, ValueError) as exc:
                raise ContactError(f"Contact {n} in {os.fspath(path)!r}: {exc}") from None
            planned.append((record, keys))
        results: list[tuple[str, int]] = []
        with self._write():
            for record, keys in planned:
                duplicate = None
                for row in self.packs_repo.find_contact(record["platform"], record["email"]):
                    have = {r["recipient"] for r in self.packs_repo.recipients(row["id"])}
                    if have == {k.text for k in keys}:
                        duplicate = row["id"]
                if duplicate is not None:
                    results.append(("duplicate", duplicate))
                    continue
                results.append(("imported", self._insert_contact(record, keys)))
        return [(status, self.contact(cid)) for status, cid in results]

    # ----------------------------------------------------------------- packs
    def packs(self, states: Iterable[str] | None = None) -> list[Pack]:
        return [self._pack(r) for r in self.packs_repo.packs(states)]

    def pack(self, ref: str) -> Pack:
        return self._pack(self._pack_row(ref))

    def sent_capture_ids(self) -> set[int]:
        """Captures that are in at least one pack already sent to its platform."""
        return self.packs_repo.captures_in_packs(SENT_STATES)

    def _pack_row(self, ref: str) -> sqlite3.Row:
        row = self.packs_repo.pack_by_ref(ref.strip()) or self.packs_repo.pack_by_ref(
            ref.strip().upper())
        if row is None:
            raise NotFound(f"There is no pack {ref!r} (see `workstation pack list`).")
        return row

    def pack_file(self, ref: str) -> Path:
        row = self._pack_row(ref)
        if not row["file_name"]:
            raise OutboxError(f"{row['ref']} has not been sealed.")
        return self.root / "outbox" / row["file_name"]

    def _pack(self, row: sqlite3.Row) -> Pack:
        items = tuple(PackItemState(r["capture_id"], r["position"], r["outcome"], r["outcome_at"],
                                    r["outcome_comment"])
                      for r in self.packs_repo.items(row["id"]))
        return Pack(
            row["id"], row["ref"], row["contact_id"], row["platform"], row["state"],
            row["priority"], row["action"], row["reason"], json.loads(row["basis"] or "{}"),
            row["created_at"], row["created_by"], row["sealed_at"], row["deadline_at"],
            str(self.root / "outbox" / row["file_name"]) if row["file_name"] else None,
            row["file_size"], row["file_sha256"], row["signing_key_id"],
            json.loads(row["recipients"] or "[]"), row["message_id"], row["transport"],
            row["destination"], row["attempts"], row["next_attempt_at"], row["last_error"],
            row["sent_at"], row["acknowledged_at"], row["closed_at"], items)

    def pack_attempts(self, ref: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.packs_repo.attempts(self._pack_row(ref)["id"])]

    def _next_ref(self, created: datetime) -> str:
        prefix = self._pack_setting("pack_ref_prefix").strip() or DEFAULTS["pack_ref_prefix"]
        if not re.fullmatch(r"[A-Za-z0-9-]{1,20}", prefix):
            raise PackError(f"pack_ref_prefix {prefix!r} must be letters, digits and '-'.")
        stem = f"{prefix}-{created.year}-"
        return f"{stem}{self.packs_repo.max_sequence(stem) + 1:06d}"

    def build_pack(
        self,
        contact_id: int,
        capture_ids: Sequence[int],
        *,
        reason: str = "",
        action: str = "remove",
        priority: str = "normal",
        basis: str | None = None,
        output: str | os.PathLike[str] | None = None,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> Pack:
        """Create, fill, sign, encrypt and record a pack (state ``sealed``).

        The sealed file is kept in ``<workspace>/outbox/`` (the copy the outbox
        sends) and, with ``output``, written there too in the same pass.
        """
        contact, captures, ids, reason = self._check_request(
            contact_id, capture_ids, reason=reason, action=action, priority=priority)
        sign_row = self._current_key_row("signing")
        archive_row = self._current_key_row("archive")
        chosen_basis = choose_basis(contact.platform, basis)
        out_path = self._output_path(output)
        key = self._signing_key()  # unlock before anything is written

        created_dt = datetime.now(UTC).replace(microsecond=0)
        recipients = self._pack_recipients(contact, archive_row)
        with self._write():
            ref = self._next_ref(created_dt)
            pack_id = self.packs_repo.insert_pack({
                "ref": ref, "contact_id": contact.id, "platform": contact.platform,
                "state": "draft", "priority": priority, "action": action, "reason": reason,
                "basis": dumps(chosen_basis), "created_at": format_utc(created_dt),
                "created_by": self.analyst,
            })
            self.packs_repo.insert_items(pack_id, ids)
            self.audit.append(self.analyst, "pack.create", f"pack:{ref}", {
                "ref": ref, "contact_id": contact.id, "platform": contact.platform,
                "captures": ids, "action": action, "priority": priority, "reason": reason,
                "basis": chosen_basis.get("id"),
            })
        spec = self._pack_spec(ref, created_dt, contact, chosen_basis, recipients,
                               priority=priority, action=action, reason=reason,
                               signing_key_id=sign_row["key_id"])
        deadline = spec.deadline_at
        items = self._pack_items(pack_id, captures, str(chosen_basis.get("id")))
        outbox = self._outbox()
        destinations = [outbox / spec.file_name]
        modes = [0o444]
        if out_path is not None:
            destinations.append(out_path)
            modes.append(0o644)
        try:
            result = seal(spec, items, key, destinations, modes=modes, cancel=cancel,
                          progress=progress)
        except BaseException as exc:
            message = str(exc) if isinstance(exc, WorkstationError) else type(exc).__name__
            with self._write():
                self.packs_repo.update_pack(pack_id, {"last_error": message[:500]})
            raise
        pairs = sorted({(i["kind"], i["normalized"]) for item in items
                        for i in item.indicators if i["kind"] in LINK_KINDS})
        with self._write():
            self.packs_repo.update_pack(pack_id, {
                "state": "sealed", "sealed_at": utc_now(), "deadline_at": deadline,
                "file_name": spec.file_name, "file_size": result.size,
                "file_sha256": result.sha256, "manifest_sha256": result.manifest_sha256,
                "sums_sha256": result.sums_sha256, "signing_key_id": key.key_id_hex,
                "recipients": dumps([r.to_dict() for r in recipients]), "last_error": None,
            })
            self.packs_repo.add_pack_indicators(pack_id, pairs)
            self.audit.append(self.analyst, "pack.seal", f"pack:{ref}", {
                "ref": ref, "file": spec.file_name, "size": result.size,
                "sha256": result.sha256, "manifest_sha256": result.manifest_sha256,
                "sha256sums_sha256": result.sums_sha256, "signing_key_id": key.key_id_hex,
                "recipients": [r.fingerprint for r in recipients],
                "captures": [{"id": c.id, "sha256": c.sha256} for c in captures],
                "deadline": deadline, "copy": os.fspath(out_path) if out_path else None,
            })
        return self.pack(ref)

    def _check_request(self, contact_id: int, capture_ids: Sequence[int], *, reason: str,
                       action: str, priority: str,
                       ) -> tuple[Contact, list[Capture], list[int], str]:
        """Validate what a pack asks for: the contact, captures, action, priority, reason."""
        if action not in ACTIONS:
            raise PackError(f"Unknown action {action!r}; choose one of {', '.join(ACTIONS)}.")
        if priority not in PRIORITIES:
            raise PackError(f"Unknown priority {priority!r}; choose normal or urgent.")
        reason = " ".join((reason or "").split())
        if len(reason) > 2000:
            raise PackError("The reason is too long (at most 2000 characters).")
        ids = list(dict.fromkeys(int(i) for i in capture_ids))
        if not ids:
            raise PackError("A pack needs at least one capture (--captures ID,ID...).")
        contact = self.contact(contact_id)
        if not contact.recipients:
            raise PackError(f"Contact #{contact.id} has no recipient key.")
        captures = [self.capture(i) for i in ids]
        for c in captures:
            if c.platform and contact.platform != "other" and c.platform != contact.platform:
                raise PackError(
                    f"Capture #{c.id} is from {c.platform} but contact #{contact.id} is for "
                    f"{contact.platform}: a pack goes to one platform. Leave #{c.id} out or "
                    "correct its platform (`workstation edit`).")
        return contact, captures, ids, reason

    @staticmethod
    def _pack_recipients(contact: Contact, archive_row: sqlite3.Row | None) -> list[PackRecipient]:
        recipients = [PackRecipient(k.recipient, k.kind, k.fingerprint, "contact", k.comment)
                      for k in contact.recipients]
        if archive_row is not None:
            recipients.append(PackRecipient(archive_row["public"], "x25519",
                                            archive_row["fingerprint"], "archive"))
        return recipients

    def _pack_spec(self, ref: str, created_dt: datetime, contact: Contact,
                   basis: dict[str, Any], recipients: list[PackRecipient], *, priority: str,
                   action: str, reason: str, signing_key_id: str) -> PackSpec:
        hours = self._int_pack_setting(f"deadline_hours_{priority}")
        return PackSpec(
            ref=ref, created_at=format_utc(created_dt), agency=self._pack_setting("agency_name"),
            unit=self._pack_setting("issuing_unit"), analyst=self.analyst,
            contact_24x7={"name": self._pack_setting("contact_24x7_name"),
                          "phone": self._pack_setting("contact_24x7_phone"),
                          "email": self._pack_setting("contact_24x7_email")},
            platform=contact.platform, operator=str(basis.get("operator", "")),
            contact={"id": contact.id, "name": contact.name,
                     "organisation": contact.organisation, "role": contact.role,
                     "email": contact.email, "verified": contact.verified},
            recipients=recipients, basis=basis,
            handling=self._pack_setting("handling_marking"), priority=priority, action=action,
            reason=reason, preserve_days=self._int_pack_setting("preservation_days"),
            deadline_at=format_utc(created_dt + timedelta(hours=hours)),
            signing_key_id=signing_key_id, app_version=__version__,
            reply_to=self.setting("smtp_from") or self._pack_setting("contact_24x7_email") or None,
        )

    def pack_policies(self, platform: str) -> list[dict[str, Any]]:
        """The terms clauses a pack to ``platform`` may cite (the default first), then
        the legal basis (id ``legal``)."""
        entries = [dict(e) for e in load_policies(normalize_platform(platform) or platform)
                   .get("policies", [])]
        entries.sort(key=lambda e: not e.get("default"))
        legal = choose_basis(platform, "legal")
        legal["id"] = "legal"
        return [*entries, legal]

    def preview_pack(
        self,
        contact_id: int,
        capture_ids: Sequence[int],
        *,
        reason: str = "",
        action: str = "remove",
        priority: str = "normal",
        basis: str | None = None,
    ) -> str:
        """The ``report.html`` that a pack with these choices would carry, before sealing
        (reference ``PREVIEW``; nothing is written, no key is unlocked)."""
        contact, captures, _ids, reason = self._check_request(
            contact_id, capture_ids, reason=reason, action=action, priority=priority)
        chosen_basis = choose_basis(contact.platform, basis)
        sign_row = self.packs_repo.current_key("signing")
        spec = self._pack_spec(
            "PREVIEW", datetime.now(UTC).replace(microsecond=0), contact, chosen_basis,
            self._pack_recipients(contact, self.packs_repo.current_key("archive")),
            priority=priority, action=action, reason=reason,
            signing_key_id=sign_row["key_id"] if sign_row is not None else "")
        items = self._pack_items(0, captures, str(chosen_basis.get("id")))
        return b"".join(report_html(spec, items)).decode("utf-8")

    def _outbox(self) -> Path:
        """``<workspace>/outbox``, cleared of what an interrupted seal left (we hold the lock)."""
        outbox = self.root / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        for leftover in outbox.glob(".*"):
            if leftover.is_dir() and leftover.name.startswith(".previews-"):
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.is_file() and leftover.name.endswith(".tmp"):
                leftover.unlink(missing_ok=True)
        return outbox

    @staticmethod
    def _output_path(output: str | os.PathLike[str] | None) -> Path | None:
        if output is None:
            return None
        path = Path(output).expanduser()
        if path.is_dir():
            raise PackError(f"{os.fspath(path)!r} is a folder; give a file name such as "
                            f"{os.fspath(path / ('REF' + PACK_SUFFIX))!r}.")
        if path.exists() or path.is_symlink():
            raise PackError(f"{os.fspath(path)!r} already exists; choose another file name.")
        if not path.parent.is_dir():
            raise PackError(f"The folder {os.fspath(path.parent)!r} does not exist.")
        return path

    def _pack_items(self, pack_id: int, captures: Sequence[Capture],
                    policy: str) -> list[PackItem]:
        records = {c.id: self.indicators(c.id) for c in captures}
        pairs = [(i.kind, i.normalized) for recs in records.values() for i in recs
                 if i.kind in LINK_KINDS]
        prior = self.packs_repo.prior_refs(pairs, pack_id)
        items: list[PackItem] = []
        for position, c in enumerate(captures, start=1):
            run = self.current_ocr(c.id)
            pdq = self.pdq_of(c.id)
            seen: set[tuple[str, str]] = set()
            indicators = []
            refs: list[str] = []
            for ind in records[c.id]:
                key = (ind.kind, ind.normalized)
                if key in seen:
                    continue
                seen.add(key)
                earlier = prior.get(key, [])
                refs += earlier
                indicators.append({"kind": ind.kind, "value": ind.value,
                                   "normalized": ind.normalized, "source": ind.source,
                                   "prior_packs": earlier})
            path = self.store.path_for(c.sha256)
            items.append(PackItem(
                position=position, capture_id=c.id, evidence_path=path, sha256=c.sha256,
                md5=c.md5, size=c.size, format=c.format, width=c.width, height=c.height,
                observed_at=c.captured_at, observed_at_source=c.captured_at_source,
                policy=policy, source_url=c.source_url, content_id=c.content_id,
                content_type=content_type_of(c.source_url, c.platform), handle=c.handle,
                profile_url=profile_url_of(c.platform, c.handle),
                account_id=_account_id(c.platform, c.handle),
                languages=[lang for lang in (run.languages.split("+") if run else []) if lang],
                indicators=indicators, pdq=pdq[0] if pdq else None,
                pdq_quality=pdq[1] if pdq else None,
                ocr_text=run.text if run else None,
                ocr_engine=f"{run.engine} {run.engine_version}".strip() if run else None,
                ocr_confidence=run.confidence if run else None,
                prior_refs=sorted(set(refs)),
                preview=self._preview_maker(c, path),
            ))
        return items

    def _preview_maker(self, capture: Capture, path: Path) -> Callable[[], bytes | None]:
        """The report's picture of a capture: its thumbnail, or with ``config report_preview
        full`` a larger preview decoded from the original (slower: every image is decoded)."""
        full = (self.setting("report_preview") or "thumbnail").strip().lower() == "full"

        def make() -> bytes | None:
            data = None
            if full:
                try:
                    data = make_preview(path)
                except Exception:
                    data = None
            if data is None:
                try:
                    data = self.thumbnail_path(capture).read_bytes()
                except Exception:
                    return None
            return data

        return make

    # ---------------------------------------------------------------- outbox
    def _check_pack_file(self, row: sqlite3.Row) -> Path:
        if not row["file_name"] or row["state"] == "draft":
            raise OutboxError(f"{row['ref']} has not been sealed; build it again.")
        path = self.root / "outbox" / row["file_name"]
        if not path.is_file():
            raise OutboxError(f"The sealed file of {row['ref']} is missing from {path.parent}; "
                              "it cannot be sent (build a new pack).")
        from workstation.packs.transports import sha256_file

        if sha256_file(path) != row["file_sha256"]:
            raise OutboxError(f"The sealed file of {row['ref']} ({path}) has changed since it "
                              "was sealed; it is not sent. Build a new pack.")
        return path

    def cover_note(self, ref: str) -> str:
        """The plain-text instructions that travel beside a pack (mail body, README)."""
        row = self._pack_row(ref)
        contact = self.contact(row["contact_id"])
        recipients = json.loads(row["recipients"] or "[]")
        spec = PackSpec(
            ref=row["ref"], created_at=row["created_at"], agency=self._pack_setting("agency_name"),
            unit=self._pack_setting("issuing_unit"), analyst=row["created_by"],
            contact_24x7={"name": self._pack_setting("contact_24x7_name"),
                          "phone": self._pack_setting("contact_24x7_phone"),
                          "email": self._pack_setting("contact_24x7_email")},
            platform=row["platform"], operator="", contact={"name": contact.name},
            recipients=[PackRecipient(r["recipient"], r["kind"], r["fingerprint"], r["role"])
                        for r in recipients],
            basis=json.loads(row["basis"] or "{}"),
            handling=self._pack_setting("handling_marking"), priority=row["priority"],
            action=row["action"], reason=row["reason"],
            preserve_days=self._int_pack_setting("preservation_days"),
            deadline_at=row["deadline_at"] or "", signing_key_id=row["signing_key_id"] or "",
            app_version=__version__, reply_to=self.setting("smtp_from"),
        )
        c24 = spec.contact_24x7
        lines = [
            spec.handling, "",
            f"Dear {contact.name},", "",
            f"Attached is alert pack {spec.ref} from the {spec.agency} ({spec.unit}) about "
            f"people-smuggling adverts on {spec.platform}.",
            f"Priority: {spec.priority.upper()}. Requested action: {spec.action.upper()} "
            f"by {spec.deadline_at} UTC.",
            f"Basis: {spec.basis.get('document')}: {spec.basis.get('title')}.", "",
            "The pack is encrypted to your key; open and check it like this:", "",
            recipient_steps(spec),
            "It was encrypted to these keys (fingerprints):",
            *[f"  {r.fingerprint}  ({r.role})" for r in spec.recipients], "",
            "Please answer with the filled-in outcome-template.csv from inside the pack.",
            f"24/7 contact: {c24['name']} {c24['phone']} {c24['email']}".rstrip(), "",
            spec.handling,
        ]
        return "\n".join(lines) + "\n"

    def send_pack(self, ref: str, via: str | None = None, to: str | None = None, *,
                  confirm_sent: bool = False, resend: bool = False) -> SendResult:
        """Deliver a sealed pack (``via`` folder or smtp), or settle an interrupted send."""
        row = self._pack_row(ref)
        ref = row["ref"]
        state = row["state"]
        if confirm_sent:
            return self._confirm_sent(row)
        if state in SENT_STATES:
            raise OutboxError(
                f"{ref} was already sent ({row['sent_at']} via {row['transport']} to "
                f"{row['destination']}); a pack is never sent twice.")
        if state == "sending" and not resend:
            raise OutboxError(
                f"{ref} may already have been delivered: the last attempt "
                f"({row['sending_at']}) was interrupted after the message data started "
                f"(Message-ID {row['message_id']}). Check with the recipient or the mail "
                f"server, then run `workstation pack send {ref} --confirm-sent` if it arrived, "
                f"or `--resend` to send it again with the same Message-ID.")
        if state == "draft":
            raise OutboxError(f"{ref} was never sealed (the build failed); build a new pack.")
        via = via or row["transport"] or ("smtp" if self.setting("smtp_host") else None)
        if via is None:
            raise OutboxError("No transport: use --via folder --to DIR, or configure SMTP "
                              "(`workstation config smtp_host HOST` ...).")
        if via == "folder":
            if state == "sending":
                raise OutboxError(f"{ref} is being sent by e-mail; settle that first.")
            if not to:
                raise OutboxError("--via folder needs --to DIR (the folder or removable drive).")
            return self._send_folder(row, Path(to).expanduser())
        if via != "smtp":
            raise OutboxError(f"Unknown transport {via!r}; use smtp or folder.")
        self._smtp_settings()  # fail early on a configuration problem
        if state == "sealed" or (state == "queued" and row["transport"] != "smtp"):
            contact = self.contact(row["contact_id"])
            with self._write():
                message_id = row["message_id"] or self._message_id(ref)
                self.packs_repo.update_pack(row["id"], {
                    "state": "queued", "transport": "smtp", "destination": contact.email,
                    "message_id": message_id, "next_attempt_at": None})
                self.audit.append(self.analyst, "pack.queue", f"pack:{ref}", {
                    "ref": ref, "transport": "smtp", "to": contact.email,
                    "message_id": message_id})
            row = self._pack_row(ref)
        return self._attempt_smtp(row, resend=resend)

    def _message_id(self, ref: str) -> str:
        from workstation.packs.transports import message_id_for

        return message_id_for(ref, self.setting("smtp_from") or "")

    def send_queued(self, *, ignore_backoff: bool = False) -> list[SendResult]:
        """Try every queued e-mail pack that is due; report interrupted ones, never re-send them."""
        results: list[SendResult] = []
        for row in self.packs_repo.packs(["sending"]):
            results.append(SendResult(
                row["ref"], "uncertain", row["transport"] or "smtp", row["destination"],
                "interrupted after the message data started; not re-sent automatically (check, "
                "then --confirm-sent or --resend)", row["attempts"], None))
        now = "9999" if ignore_backoff else utc_now()
        for row in self.packs_repo.due_packs(now, "smtp"):
            try:
                results.append(self._attempt_smtp(row))
            except OutboxError as exc:
                results.append(SendResult(row["ref"], "queued", "smtp", row["destination"],
                                          str(exc), row["attempts"], row["next_attempt_at"]))
        return results

    def _send_folder(self, row: sqlite3.Row, folder: Path) -> SendResult:
        from workstation.packs.transports import DeliveryError, deliver_to_folder

        ref = row["ref"]
        path = self._check_pack_file(row)
        readme = self.cover_note(ref)
        public = None
        if row["signing_key_id"]:
            public = self.export_public_key(row["signing_key_id"])
        try:
            done = deliver_to_folder(path, row["file_sha256"], folder, readme, public, ref)
        except DeliveryError as exc:
            with self._write():
                self.packs_repo.add_attempt(row["id"], utc_now(), "folder", os.fspath(folder),
                                            "failed", str(exc))
                self.audit.append(self.analyst, "pack.send_failed", f"pack:{ref}", {
                    "ref": ref, "transport": "folder", "to": os.fspath(folder),
                    "error": str(exc)})
            raise
        now = utc_now()
        with self._write():
            self.packs_repo.update_pack(row["id"], {
                "state": "sent", "transport": "folder", "destination": os.fspath(folder),
                "attempts": row["attempts"] + 1, "sent_at": now, "last_error": None,
                "next_attempt_at": None})
            self.packs_repo.add_attempt(row["id"], now, "folder", os.fspath(folder), "sent", None)
            self.audit.append(self.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": "folder", "to": os.fspath(folder),
                "file": os.fspath(done.pack_path), "sha256": done.sha256,
                "readme": os.fspath(done.readme_path)})
        return SendResult(ref, "sent", "folder", os.fspath(folder),
                          f"copied to {done.pack_path} (SHA-256 verified) with "
                          f"{done.readme_path.name}", row["attempts"] + 1)

    def _smtp_settings(self) -> Any:
        from workstation.packs.transports import DEFAULT_MAX_MB, SmtpSettings

        host = self.setting("smtp_host")
        sender = self.setting("smtp_from") or self.setting("smtp_user")
        if not host:
            raise OutboxError("SMTP is not configured: `workstation config smtp_host HOST` "
                              "(and smtp_port, smtp_security starttls|ssl, smtp_user, smtp_from).")
        if not sender or not _EMAIL_RE.match(sender):
            raise OutboxError("Set the sender address: `workstation config smtp_from "
                              "alerts@example.org`.")
        security = (self.setting("smtp_security") or "starttls").lower()
        if security not in ("starttls", "ssl"):
            raise OutboxError(f"smtp_security must be starttls or ssl, not {security!r}.")
        try:
            port = int(self.setting("smtp_port") or (465 if security == "ssl" else 587))
            timeout = float(self.setting("smtp_timeout") or 30)
            max_mb = float(self.setting("smtp_max_mb") or DEFAULT_MAX_MB)
        except ValueError as exc:
            raise OutboxError(f"An SMTP setting is not a number: {exc}.") from None
        return SmtpSettings(host=host, port=port, security=security, sender=sender,
                            user=self.setting("smtp_user") or None,
                            cafile=self.setting("smtp_cafile") or None, timeout=timeout,
                            max_bytes=int(max_mb * (1 << 20)))

    def _attempt_smtp(self, row: sqlite3.Row, *, resend: bool = False) -> SendResult:
        from workstation.packs.transports import (
            DeliveryError,
            MaybeSent,
            SmtpSender,
            build_message,
            next_attempt_at,
        )

        ref = row["ref"]
        settings = self._smtp_settings()
        attempts = row["attempts"] + 1
        try:
            path = self._check_pack_file(row)
            password = None
            if settings.user:
                try:
                    password = self._secret(smtp_password_name(settings.host, settings.user)
                                            ).decode("utf-8")
                except SecretNotFound:
                    raise DeliveryError("No SMTP password is stored for "
                                        f"{settings.user}@{settings.host}: run `workstation key "
                                        "smtp-password`.") from None
            contact = self.contact(row["contact_id"])
            extra = []
            if row["signing_key_id"]:
                extra.append((f"agency-{row['signing_key_id']}.pub",
                              self.export_public_key(row["signing_key_id"]).encode(),
                              "text/plain"))
            message = build_message(
                sender=settings.sender, to=row["destination"] or contact.email,
                subject=(f"[{self._pack_setting('handling_marking')}] Alert pack {ref} - "
                         f"{row['platform']} - {row['priority'].upper()} - action by "
                         f"{row['deadline_at']}"),
                body=self.cover_note(ref), message_id=row["message_id"] or self._message_id(ref),
                attachment=path, attachment_name=path.name, extra=extra)
            expected = ("sending",) if resend else ("queued",)

            def before_data() -> None:
                with self._write():
                    if not self.packs_repo.set_state_if(row["id"], expected, {
                            "state": "sending", "sending_at": utc_now()}):
                        raise OutboxError(f"{ref} changed state meanwhile; not sent.")
                    self.audit.append(self.analyst, "pack.sending", f"pack:{ref}", {
                        "ref": ref, "message_id": message["Message-ID"], "attempt": attempts,
                        "resend": resend})

            reply = SmtpSender(settings, password).send(message, [message["To"]], before_data)
        except DeliveryError as exc:
            retry = next_attempt_at(attempts)
            with self._write():
                self.packs_repo.update_pack(row["id"], {
                    "state": "queued", "attempts": attempts, "next_attempt_at": retry,
                    "last_error": str(exc)[:500]})
                self.packs_repo.add_attempt(row["id"], utc_now(), "smtp", row["destination"],
                                            "failed", str(exc)[:500])
                self.audit.append(self.analyst, "pack.send_failed", f"pack:{ref}", {
                    "ref": ref, "transport": "smtp", "to": row["destination"],
                    "attempt": attempts, "error": str(exc)[:500], "next_attempt_at": retry})
            return SendResult(ref, "queued", "smtp", row["destination"],
                              f"not sent: {exc} Queued; next attempt after {retry}.",
                              attempts, retry)
        except MaybeSent as exc:
            with self._write():
                self.packs_repo.update_pack(row["id"], {
                    "attempts": attempts, "last_error": str(exc)[:500]})
                self.packs_repo.add_attempt(row["id"], utc_now(), "smtp", row["destination"],
                                            "uncertain", str(exc)[:500])
                self.audit.append(self.analyst, "pack.send_uncertain", f"pack:{ref}", {
                    "ref": ref, "to": row["destination"], "attempt": attempts,
                    "message_id": row["message_id"], "error": str(exc)[:500]})
            return SendResult(ref, "uncertain", "smtp", row["destination"],
                              f"{exc} It will not be re-sent automatically: check, then "
                              f"`pack send {ref} --confirm-sent` or `--resend`.", attempts)
        now = utc_now()
        with self._write():
            self.packs_repo.update_pack(row["id"], {
                "state": "sent", "attempts": attempts, "sent_at": now, "last_error": None,
                "next_attempt_at": None})
            self.packs_repo.add_attempt(row["id"], now, "smtp", row["destination"], "sent", None)
            self.audit.append(self.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": "smtp", "to": row["destination"],
                "message_id": row["message_id"], "attempt": attempts, "server_reply": reply,
                "resend": resend, "sha256": row["file_sha256"]})
        return SendResult(ref, "sent", "smtp", row["destination"],
                          f"sent to {row['destination']} ({reply})", attempts)

    def _confirm_sent(self, row: sqlite3.Row) -> SendResult:
        ref = row["ref"]
        if row["state"] != "sending":
            raise OutboxError(f"{ref} is {row['state']}, not awaiting confirmation; "
                              "--confirm-sent settles only an interrupted e-mail send.")
        now = utc_now()
        with self._write():
            self.packs_repo.update_pack(row["id"], {
                "state": "sent", "sent_at": row["sending_at"] or now, "last_error": None,
                "next_attempt_at": None})
            self.packs_repo.add_attempt(row["id"], now, row["transport"] or "smtp",
                                        row["destination"], "confirmed", None)
            self.audit.append(self.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": row["transport"], "to": row["destination"],
                "message_id": row["message_id"], "confirmed_by_analyst": True})
        return SendResult(ref, "sent", row["transport"] or "smtp", row["destination"],
                          "recorded as sent (confirmed by the analyst)", row["attempts"])

    # -------------------------------------------------------------- outcomes
    def import_outcomes(self, path: str | os.PathLike[str]) -> OutcomeImport:
        """Record a platform's answer (CSV or JSON); all rows or none."""
        file = Path(path)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise OutcomeImportError(f"Cannot read {os.fspath(file)!r}: {exc.strerror}.") \
                from None
        rows = _read_outcome_rows(raw, file)
        problems: list[str] = []
        planned: list[tuple[sqlite3.Row, int, str, str | None, str | None]] = []
        packs: dict[str, sqlite3.Row] = {}
        items: dict[int, set[int]] = {}
        for number, data in rows:
            where = f"row {number}"
            ref = str(data.get("pack_ref") or "").strip()
            row = packs.get(ref) or (self.packs_repo.pack_by_ref(ref) if ref else None)
            if row is None and ref:
                row = self.packs_repo.pack_by_ref(ref.upper())
            if row is None:
                problems.append(f"{where}: unknown pack reference {ref!r}" if ref else
                                f"{where}: no pack_ref")
                continue
            packs[ref] = row
            if row["state"] not in (*SENT_STATES, "sending"):
                problems.append(f"{where}: pack {row['ref']} has not been sent (it is "
                                f"{row['state']})")
                continue
            if row["id"] not in items:
                items[row["id"]] = {r["capture_id"] for r in self.packs_repo.items(row["id"])}
            cid_text = str(data.get("capture_id") or "").strip().lstrip("#")
            if not cid_text.isdigit():
                problems.append(f"{where}: capture_id {cid_text!r} is not a number")
                continue
            cid = int(cid_text)
            if cid not in items[row["id"]]:
                problems.append(f"{where}: capture #{cid} is not an item of {row['ref']} "
                                f"(items: {', '.join(map(str, sorted(items[row['id']])))})")
                continue
            outcome = re.sub(r"[\s-]+", "_", str(data.get("outcome") or "").strip().lower())
            if outcome not in OUTCOMES:
                problems.append(f"{where}: unknown outcome {data.get('outcome')!r}; use one of "
                                f"{', '.join(OUTCOMES)}")
                continue
            when_text = str(data.get("time") or "").strip()
            when = None
            if when_text:
                try:
                    when = parse_iso(when_text)
                except ValueError as exc:
                    problems.append(f"{where}: {exc}")
                    continue
            comment = " ".join(str(data.get("comment") or "").split())[:2000] or None
            planned.append((row, cid, outcome, when, comment))
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise OutcomeImportError(
                f"{len(problems)} problem(s) in {os.fspath(file)!r}; nothing was imported:\n  "
                f"{shown}{more}")
        if not planned:
            raise OutcomeImportError(f"{os.fspath(file)!r} holds no outcome rows.")
        digest = hashlib.sha256(raw).hexdigest()
        summary = OutcomeImport(os.fspath(file), len(planned))
        now = utc_now()
        with self._write():
            by_pack: dict[int, list[dict[str, Any]]] = {}
            for row, cid, outcome, when, comment in planned:
                self.packs_repo.set_outcome(row["id"], cid, outcome, when, comment, now)
                by_pack.setdefault(row["id"], []).append(
                    {"capture_id": cid, "outcome": outcome, "time": when, "comment": comment})
            for pack_id, changes in by_pack.items():
                row = self.packs_repo.pack_by_id(pack_id)
                assert row is not None
                outcomes = [r["outcome"] for r in self.packs_repo.items(pack_id)]
                final = all(o in FINAL_OUTCOMES for o in outcomes)
                values: dict[str, Any] = {"state": "closed" if final else "acknowledged",
                                          "acknowledged_at": row["acknowledged_at"] or now}
                if row["state"] == "sending":  # the answer proves it arrived
                    values["sent_at"] = row["sending_at"] or now
                if final:
                    values["closed_at"] = row["closed_at"] or now
                self.packs_repo.update_pack(pack_id, values)
                summary.packs[row["ref"]] = values["state"]
                self.audit.append(self.analyst, "pack.outcomes", f"pack:{row['ref']}", {
                    "ref": row["ref"], "file": file.name, "file_sha256": digest,
                    "old_state": row["state"], "new_state": values["state"],
                    "outcomes": changes})
        return summary

    # ----------------------------------------------------------------- stats
    def pack_stats(self) -> list[PlatformStats]:
        """Per platform: packs sent, items, outcomes, removal rate, median time to action."""
        grouped: dict[str, list[sqlite3.Row]] = {}
        for row in self.packs_repo.stats_rows():
            grouped.setdefault(row["platform"], []).append(row)
        result = []
        for platform, rows in sorted(grouped.items()):
            counts = {o: sum(1 for r in rows if r["outcome"] == o) for o in OUTCOMES}
            answered = sum(counts[o] for o in FINAL_OUTCOMES)
            hours = []
            for r in rows:
                if r["outcome"] in ("removed", "restricted") and r["outcome_at"] and r["sent_at"]:
                    delta = _parse_time(r["outcome_at"]) - _parse_time(r["sent_at"])
                    hours.append(max(0.0, delta.total_seconds() / 3600))
            result.append(PlatformStats(
                platform=platform, packs_sent=len({r["ref"] for r in rows}), items=len(rows),
                answered=answered, removed=counts["removed"], restricted=counts["restricted"],
                no_violation=counts["no_violation"], already_gone=counts["already_gone"],
                pending=counts["pending"],
                removal_rate=round(counts["removed"] / answered, 4) if answered else None,
                median_hours_to_action=round(statistics.median(hours), 2) if hours else None))
        return result


_OUTCOME_ALIASES = {
    "pack_ref": ("pack_ref", "pack", "ref", "pack_reference", "reference"),
    "capture_id": ("capture_id", "item", "capture", "capture id", "item_id"),
    "outcome": ("outcome", "result", "status", "action_taken"),
    "time": ("time", "at", "actioned_at", "outcome_time", "time_utc", "date"),
    "comment": ("comment", "comments", "note", "notes"),
}


def _canonical_row(data: dict[str, Any]) -> dict[str, Any]:
    lowered = {str(k).strip().lower().lstrip("\ufeff"): v for k, v in data.items() if k is not None}
    out: dict[str, Any] = {}
    for key, aliases in _OUTCOME_ALIASES.items():
        for alias in aliases:
            if alias in lowered and lowered[alias] not in (None, ""):
                out[key] = lowered[alias]
                break
    return out


def _read_outcome_rows(raw: bytes, file: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OutcomeImportError(f"{os.fspath(file)!r} is not UTF-8 text.") from None
    stripped = text.lstrip()
    if file.suffix.lower() == ".json" or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise OutcomeImportError(f"{os.fspath(file)!r} is not valid JSON: {exc}.") from None
        if isinstance(data, dict):
            data = data.get("outcomes", data.get("items"))
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise OutcomeImportError(
                f"{os.fspath(file)!r}: expected a JSON list of objects with pack_ref, "
                "capture_id, outcome, time, comment (or {\"outcomes\": [...]}).")
        return [(n, _canonical_row(d)) for n, d in enumerate(data, start=1)]
    reader = csv.DictReader(io.StringIO(text))
    header = [str(h).strip().lower() for h in (reader.fieldnames or [])]
    needed = [k for k in ("pack_ref", "capture_id", "outcome")
              if not any(a in header for a in _OUTCOME_ALIASES[k])]
    if needed:
        raise OutcomeImportError(
            f"{os.fspath(file)!r}: the CSV header must name pack_ref, capture_id, outcome "
            f"(and optionally time, comment); missing {', '.join(needed)}.")
    return [(reader.line_num, _canonical_row(d)) for d in reader]


def _contacts_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _agency_key(row: sqlite3.Row) -> AgencyKey:
    return AgencyKey(row["kind"], row["key_id"], row["public"], row["fingerprint"],
                     row["created_at"], row["created_by"], row["retired_at"])
