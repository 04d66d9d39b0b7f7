"""The values the pack services hand across the boundary (agency keys, contacts,
packs, send results, outcome imports, per-platform figures), their errors, and the
small pure helpers they share."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from workstation.addresses import InvalidAddress, check_email
from workstation.context import Context
from workstation.errors import WorkstationError
from workstation.settings import get_int, get_text
from workstation.storage.sqlitelib import sqlite3

PACK_STATES = ("draft", "sealed", "queued", "sending", "sent", "acknowledged", "closed")
SENT_STATES = ("sent", "acknowledged", "closed")
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
    #: the platform's minisign public key (base64 line) its signed replies are checked with
    minisign_key: str | None = None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def minisign_key_id(self) -> str | None:
        """The key id of :attr:`minisign_key` as minisign prints it."""
        return _minisign_key_id(self.minisign_key)

    @property
    def minisign_fingerprint(self) -> str | None:
        """The fingerprint of :attr:`minisign_key` (SHA-256 of its base64 line, grouped)."""
        return minisign_fingerprint(self.minisign_key)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recipients"] = [r.to_dict() for r in self.recipients]
        data["verified"] = self.verified
        data["minisign_key_id"] = self.minisign_key_id
        data["minisign_fingerprint"] = self.minisign_fingerprint
        return data


def minisign_fingerprint(line: str | None) -> str | None:
    """The fingerprint of a minisign public key's base64 line (SHA-256, eight groups of
    four hex digits, read over the phone); ``None`` for no key."""
    if not line:
        return None
    digest = hashlib.sha256(line.encode("utf-8")).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def _minisign_key_id(text: str | None) -> str | None:
    if not text:
        return None
    from workstation.crypto.signing import SignatureError, parse_public_key

    try:
        return parse_public_key(text).key_id_hex
    except SignatureError:
        return "(unreadable)"


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """What a pack asks of the platform for one item, where it differs from the pack's
    defaults (``None``: the pack's value), and why an item without a URL or content id
    goes anyway (``no_locator_reason``).  Stored as ``pack_items.request`` JSON."""

    action: str | None = None
    priority: str | None = None
    deadline: str | None = None  # ISO 8601 UTC, e.g. 2026-12-06T12:00:00Z
    policy: str | None = None    # a policy id of the platform's table, or "legal"
    no_locator_reason: str | None = None

    def to_json(self) -> dict[str, str]:
        """The fields set (the ``pack_items.request`` column; ``{}``: the pack's values)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: Any) -> ItemRequest:
        """From the stored JSON (text or dict); unknown keys are ignored."""
        if isinstance(data, str):
            try:
                data = json.loads(data or "{}")
            except ValueError:
                data = {}
        if not isinstance(data, dict):
            return cls()
        return cls(**{k: str(data[k]) for k in ("action", "priority", "deadline", "policy",
                                                 "no_locator_reason") if data.get(k)})


@dataclass(frozen=True, slots=True)
class PackItemState:
    capture_id: int
    position: int
    outcome: str
    outcome_at: str | None
    outcome_comment: str | None
    #: the item's own request (``pack_items.request``; empty: the pack's values)
    request: ItemRequest = field(default_factory=ItemRequest)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["request"] = self.request.to_json()
        return data


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
    #: the reply key (fingerprint) an age-encrypted answer was decrypted with
    decrypted_with: str | None = None
    #: the minisign key id of the platform's signature that was verified
    signed_by: str | None = None

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


def parse_time(value: str) -> datetime:
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


def account_id_of(platform: str | None, handle: str | None) -> str | None:
    if platform in ("facebook", "whatsapp") and handle and handle.isdigit():
        return handle
    return None


def clean_text(text: str | None, what: str, *, required: bool = False,
               limit: int = 200) -> str | None:
    """``text`` with runs of white space folded; ``None`` when empty (refused when
    ``required``), refused when longer than ``limit``."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        if required:
            raise ContactError(f"The {what} must not be empty.")
        return None
    if len(cleaned) > limit:
        raise ContactError(f"The {what} is too long (at most {limit} characters).")
    return cleaned


def check_contact_email(email: str | None) -> str:
    """A contact's e-mail address, normalised (:func:`workstation.addresses.check_email`)."""
    try:
        return check_email(email)
    except InvalidAddress as exc:
        raise ContactError(str(exc)) from None




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


def read_outcome_rows(raw: bytes, file: Path) -> list[tuple[int, dict[str, Any]]]:
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


def contacts_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def agency_key_from_row(row: sqlite3.Row) -> AgencyKey:
    return AgencyKey(row["kind"], row["key_id"], row["public"], row["fingerprint"],
                     row["created_at"], row["created_by"], row["retired_at"])


def pack_setting(ctx: Context, key: str) -> str:
    """Setting ``key`` in effect (the settings table's default when unset)."""
    return get_text(ctx, key)


def int_pack_setting(ctx: Context, key: str) -> int:
    """Setting ``key`` as an integer (the settings table's default when unset)."""
    return get_int(ctx, key)
