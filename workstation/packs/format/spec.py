"""The alert-pack format's vocabulary: file names, actions, priorities, outcomes, and the
dataclasses a pack is built from (:class:`PackSpec`, :class:`PackItem`,
:class:`PackRecipient`, :class:`SealResult`).  Documented in ``docs/pack-format.md``."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workstation.errors import WorkstationError
from workstation.packs.format.safezip import MemberDigest

FORMAT = "alertpack"


#: Version 2 (issue 13): the encrypted return path (``outcome_reporting.send_to`` and
#: ``reply_recipient``) and the other fields documented "since version 2".
FORMAT_VERSION = 2


#: The versions this code opens and lists (a version-1 pack still opens).
SUPPORTED_FORMAT_VERSIONS = (1, 2)


PACK_SUFFIX = ".alertpack.age"


MANIFEST = "manifest.json"


SUMS = "SHA256SUMS"


SUMS_SIG = "SHA256SUMS.minisig"


REQUIRED_FILES = (MANIFEST, "README.txt", "report.html", "stix.json", "indicators.csv", SUMS,
                  SUMS_SIG)


ACTIONS = {
    "remove": "Remove the content listed and act on the accounts posting it under your terms.",
    "restrict": "Restrict the content listed (limit its reach or age-gate it) pending review.",
    "preserve": "Preserve the content and the account data listed; do not alert the account "
                "holders. A formal request for disclosure will follow.",
}


PRIORITIES = ("normal", "urgent")


OUTCOMES = ("removed", "restricted", "no_violation", "already_gone", "pending")


FINAL_OUTCOMES = ("removed", "restricted", "no_violation", "already_gone")


OUTCOME_FIELDS = ("pack_ref", "capture_id", "outcome", "time", "comment")


#: Tesseract language codes written right to left, and HTML language tags.
RTL_LANGUAGES = {"ara", "fas", "urd", "pus", "ckb", "heb", "uig", "snd", "yid", "syr", "div"}


HTML_LANG = {"ara": "ar", "fas": "fa", "eng": "en", "fra": "fr", "tur": "tr", "sqi": "sq",
             "vie": "vi", "kmr": "ku", "pus": "ps", "urd": "ur", "tir": "ti", "amh": "am",
             "ckb": "ckb", "deu": "de", "ita": "it", "spa": "es"}


_EXTENSIONS = {"jpeg": "jpg", "tiff": "tif"}


_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp",
                "gif": "image/gif", "bmp": "image/bmp", "tiff": "image/tiff",
                "heic": "image/heic"}


_SUMS_LINE = re.compile(r"^([0-9a-f]{64})  (\S(?:.*\S)?)$")


class PackError(WorkstationError):
    """A pack could not be built or read."""


@dataclass(frozen=True, slots=True)
class PackRecipient:
    """One age recipient the pack is encrypted to (``role``: contact or archive)."""

    recipient: str
    kind: str
    fingerprint: str
    role: str
    comment: str = ""

    @property
    def compact(self) -> str:
        return compact_fingerprint(self.fingerprint)

    def to_dict(self) -> dict[str, str]:
        return {"recipient": self.recipient, "kind": self.kind, "fingerprint": self.fingerprint,
                "role": self.role}


@dataclass(slots=True)
class PackSpec:
    """Everything about a pack except its items."""

    ref: str
    created_at: str
    agency: str
    unit: str
    analyst: str
    contact_24x7: dict[str, str]
    platform: str
    operator: str
    contact: dict[str, Any]
    recipients: list[PackRecipient]
    basis: dict[str, Any]
    handling: str
    priority: str
    action: str
    reason: str
    preserve_days: int
    deadline_at: str
    signing_key_id: str
    app_version: str
    reply_to: str | None = None
    #: the agency's age reply recipient (``age1…``) a platform encrypts its answer to
    reply_recipient: str | None = None
    #: the audit trail's head when the pack was sealed: ``{"seq": N, "sha256": ...}``
    audit_head: dict[str, Any] | None = None
    #: the signing key's fingerprint (eight groups of four hex digits: the first 32 of the
    #: SHA-256 of its base64 line), named in the README for a check against the key the
    #: platform received separately
    signing_fingerprint: str = ""
    #: the trusted timestamps (RFC 3161) covering the items, as ``timestamps/…`` members
    #: (tokens, ca.pem, README.txt); none until a token covers an item
    timestamp_files: tuple[tuple[str, bytes], ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.ref}{PACK_SUFFIX}"


@dataclass(slots=True)
class PackItem:
    """One capture as it goes into a pack."""

    position: int
    capture_id: int
    evidence_path: Path
    sha256: str
    md5: str
    size: int
    format: str
    width: int
    height: int
    observed_at: str
    observed_at_source: str
    policy: str
    source_url: str | None = None
    content_id: str | None = None
    content_type: str = "post"
    handle: str | None = None
    profile_url: str | None = None
    account_id: str | None = None
    #: the language(s) the advert is written in, as identified when it was read
    #: (``["fas", "eng"]``); empty for text read before languages were identified
    languages: list[str] = field(default_factory=list)
    #: the confirmed indicators: the only ones a platform is asked to act on
    indicators: list[dict[str, Any]] = field(default_factory=list)
    #: indicators read by OCR that the analyst has not confirmed yet (``"status":
    #: "unconfirmed"``): listed apart, never in ``stix.json`` or ``indicators.csv``
    unconfirmed: list[dict[str, Any]] = field(default_factory=list)
    pdq: str | None = None
    pdq_quality: int | None = None
    ocr_text: str | None = None
    ocr_engine: str | None = None
    ocr_confidence: float | None = None
    #: the OCR models tried (``["ara", "eng"]``): how it was read, not its language
    ocr_models: list[str] = field(default_factory=list)
    #: the share (0..1) of the page's text regions that were read (``None``: not
    #: measured), and the regions with ink that could not be read (``[x, y, w, h]``,
    #: image pixels)
    ocr_coverage: float | None = None
    ocr_unread: list[list[int]] = field(default_factory=list)
    prior_refs: list[str] = field(default_factory=list)
    preview: Callable[[], bytes | None] | None = None
    #: what is asked for this item (since format version 2): the pack's action,
    #: priority and deadline unless the analyst set the item's own (``policy`` above)
    action: str = "remove"
    priority: str = "normal"
    deadline_utc: str = ""
    #: why an item without a URL and without a content id was sent anyway
    no_locator_reason: str | None = None
    #: the clause cited when the item's policy differs from the pack's basis
    policy_basis: dict[str, Any] | None = None
    #: the item goes as a redacted copy (``evidence_path``, ``sha256`` ... are the copy's):
    #: ``sha256``, ``original_sha256``, ``log_sha256``, ``redaction_id``
    redacted: dict[str, Any] | None = None

    @property
    def stem(self) -> str:
        return f"{self.position:03d}-capture-{self.capture_id}"

    @property
    def evidence_name(self) -> str:
        ext = _EXTENSIONS.get(self.format, self.format or "bin")
        return f"evidence/{self.stem}.{ext}"

    @property
    def ocr_name(self) -> str:
        return f"ocr/{self.stem}.txt"

    def ocr_bytes(self) -> bytes | None:
        if self.ocr_text is None:
            return None
        text = self.ocr_text if self.ocr_text.endswith("\n") else self.ocr_text + "\n"
        return text.encode("utf-8")

    @property
    def rtl(self) -> bool:
        """Whether the advert is written right to left: from its identified languages;
        for text read before they were identified, from the models it was read with
        (an Arabic-script model reads Arabic-script text), the only hint there is."""
        return any(lang in RTL_LANGUAGES for lang in self.languages or self.ocr_models)


@dataclass(frozen=True, slots=True)
class SealResult:
    """What :func:`seal` wrote."""

    size: int
    sha256: str
    manifest_sha256: str
    sums_sha256: str
    members: list[MemberDigest]
    trusted_comment: str


def compact_fingerprint(fingerprint: str) -> str:
    return fingerprint.replace(" ", "").lower()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def trusted_comment(spec: PackSpec) -> str:
    """The minisign trusted comment: pack reference and the recipients' fingerprints.

    Tab-separated ``key:value`` fields, like minisign's own default comment.
    """
    to = ",".join(r.compact for r in spec.recipients if r.role == "contact")
    archive = ",".join(r.compact for r in spec.recipients if r.role == "archive")
    return (f"alertpack:{spec.ref}\tformat:{FORMAT_VERSION}\tplatform:{spec.platform}"
            f"\tcreated:{spec.created_at}\tto:{to}\tarchive:{archive}\tfile:{SUMS}")


def parse_trusted_comment(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in text.split("\t"):
        key, sep, value = part.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields
