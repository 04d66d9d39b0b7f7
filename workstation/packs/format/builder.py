"""The alert pack format: what goes inside, sealing it (streaming), and opening it.

A pack (format documented in ``docs/pack-format.md``) is a ZIP, age-encrypted
to the platform contact's recipients and the agency's archive recipient::

    manifest.json        what is asked, of whom, on what basis; every item and file
    README.txt           the recipient's steps, with the standard tools only
    report.html          one self-contained page for a person (previews as data: URIs)
    stix.json            a STIX 2.1 bundle (OASIS ``stix2``)
    indicators.csv       every indicator, with earlier packs that named it
    outcome-template.csv the answer form (pack_ref, capture_id, outcome, time, comment)
    ocr/NNN-capture-ID.txt      the text read from each item
    evidence/NNN-capture-ID.ext the original files, byte-exact
    SHA256SUMS           ``sha256sum -c`` list of every other file
    SHA256SUMS.minisig   minisign signature by the agency key; its trusted comment
                         carries the pack reference and the recipients' fingerprints

Sealing (:func:`seal`) streams: evidence is read once in 1 MiB chunks, hashed
and checked against the SHA-256 recorded at capture (:class:`ZipPackWriter`),
written into :class:`EncryptingWriter`, and the ciphertext goes straight to the
output file(s) — no plaintext copy on disk and flat memory whatever the size.

Opening (:func:`open_pack`) is what a recipient's ``age -d``, ``unzip``,
``minisign -V`` and ``sha256sum -c`` do, plus the checks only our tool can
make (the recipient list in the signed comment, the manifest's digests), and
needs no workspace.  Nothing here touches the database.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workstation.crypto import signing
from workstation.crypto.age import (
    DecryptionFailed,
    EncryptingWriter,
    HashingWriter,
    InvalidIdentity,
    WrongKey,
    decrypt_file,
    load_identities,
)
from workstation.crypto.recipients import InvalidRecipient, fingerprint_of, parse_recipient
from workstation.errors import WorkstationError
from workstation.packs.format.safezip import (
    ArchiveError,
    EvidenceChanged,
    ExtractLimits,
    MemberDigest,
    ZipPackWriter,
    safe_extract,
)
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.resources import resources_dir

FORMAT = "alertpack"
FORMAT_VERSION = 1
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
_STIX_ACCOUNT_TYPES = {"x": "twitter"}
_PREVIEW_BOX = (720, 1600)
_PREVIEW_MAX_PIXELS = 40_000_000
_SUMS_LINE = re.compile(r"^([0-9a-f]{64})  (\S(?:.*\S)?)$")


class PackError(WorkstationError):
    """A pack could not be built or read."""


# ---------------------------------------------------------------------------
# What a pack holds


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
    languages: list[str] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    pdq: str | None = None
    pdq_quality: int | None = None
    ocr_text: str | None = None
    ocr_engine: str | None = None
    ocr_confidence: float | None = None
    prior_refs: list[str] = field(default_factory=list)
    preview: Callable[[], bytes | None] | None = None

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
        return any(lang in RTL_LANGUAGES for lang in self.languages)


@dataclass(frozen=True, slots=True)
class SealResult:
    """What :func:`seal` wrote."""

    size: int
    sha256: str
    manifest_sha256: str
    sums_sha256: str
    members: list[MemberDigest]
    trusted_comment: str


# ---------------------------------------------------------------------------
# Policies


def load_policies(platform: str) -> dict[str, Any]:
    """The policy table of ``platform`` (``resources/policies/<platform>.json``)."""
    path = resources_dir() / "policies" / f"{platform}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"There is no policy table for {platform!r} ({path}).") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"The policy table {path} cannot be read: {exc}") from None
    return data


def choose_basis(platform: str, policy_id: str | None = None) -> dict[str, Any]:
    """The terms clause (or legal basis) a pack cites: the platform's default or ``policy_id``."""
    table = load_policies(platform)
    entries: list[dict[str, Any]] = list(table.get("policies", []))
    if policy_id == "legal":
        table = load_policies("legal")
        entries = list(table.get("policies", []))
        chosen = entries[0]
    elif policy_id:
        matches = [e for e in entries if e.get("id") == policy_id]
        if not matches:
            known = ", ".join(str(e.get("id")) for e in entries)
            raise PackError(
                f"{platform} has no policy {policy_id!r}; choose one of {known}, or 'legal'."
            )
        chosen = matches[0]
    else:
        defaults = [e for e in entries if e.get("default")] or entries
        if not defaults:
            raise PackError(f"The policy table for {platform} lists no policy.")
        chosen = defaults[0]
    basis = {k: v for k, v in chosen.items() if k != "default"}
    basis["kind"] = "legal" if policy_id == "legal" else "terms"
    basis["platform"] = platform
    basis["operator"] = table.get("operator", "")
    return basis


# ---------------------------------------------------------------------------
# Small helpers


def compact_fingerprint(fingerprint: str) -> str:
    return fingerprint.replace(" ", "").lower()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _safe_href(url: str | None) -> str | None:
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


# ---------------------------------------------------------------------------
# The trusted comment


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


# ---------------------------------------------------------------------------
# Manifest, CSVs, README


def build_manifest(spec: PackSpec, items: Sequence[PackItem]) -> dict[str, Any]:
    """The pack's ``manifest.json`` as a dict (see docs/pack-format.md)."""
    entries = []
    for item in items:
        files = [{
            "path": item.evidence_name, "role": "original", "size": item.size,
            "sha256": item.sha256, "md5": item.md5,
            "media_type": _MEDIA_TYPES.get(item.format, "application/octet-stream"),
            "width": item.width, "height": item.height,
        }]
        ocr = item.ocr_bytes()
        if ocr is not None:
            files.append({"path": item.ocr_name, "role": "ocr-text", "size": len(ocr),
                          "sha256": _sha256(ocr), "md5": _md5(ocr),
                          "media_type": "text/plain; charset=utf-8"})
        entries.append({
            "item": item.position,
            "capture_id": item.capture_id,
            "url": item.source_url,
            "platform_content_id": item.content_id,
            "content_type": item.content_type,
            "account": {"handle": item.handle, "profile_url": item.profile_url,
                        "account_id": item.account_id},
            "observed_utc": item.observed_at,
            "observed_time_source": item.observed_at_source,
            "languages": item.languages,
            "policy": item.policy,
            "indicators": item.indicators,
            "pdq": ({"hash": item.pdq, "quality": item.pdq_quality}
                    if item.pdq is not None else None),
            "ocr": ({"engine": item.ocr_engine, "mean_confidence": item.ocr_confidence}
                    if item.ocr_text is not None else None),
            "files": files,
            "prior_packs": item.prior_refs,
        })
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "pack_ref": spec.ref,
        "created_utc": spec.created_at,
        "handling": spec.handling,
        "handling_instructions": (
            f"{spec.handling}: for the trust and safety team addressed only. Do not forward "
            "outside it or notify the account holders without the issuer's agreement."
        ),
        "issuer": {
            "agency": spec.agency,
            "unit": spec.unit,
            "analyst": spec.analyst,
            "contact_24x7": spec.contact_24x7,
            "signing_key_id": spec.signing_key_id,
        },
        "recipient": {
            "platform": spec.platform,
            "operator": spec.operator,
            "contact": spec.contact,
            "keys": [r.to_dict() for r in spec.recipients],
        },
        "basis": spec.basis,
        "priority": spec.priority,
        "reason": spec.reason,
        "requested_action": {
            "action": spec.action,
            "description": ACTIONS[spec.action],
            "preserve_data_days": spec.preserve_days,
            "preservation": (
                f"Please preserve the content and the related account data for "
                f"{spec.preserve_days} days from receipt, whatever the outcome, so that a "
                "formal request can follow."
            ),
            "deadline_utc": spec.deadline_at,
        },
        "outcome_reporting": {
            "send_to": spec.reply_to,
            "formats": ["csv", "json"],
            "fields": list(OUTCOME_FIELDS),
            "outcomes": list(OUTCOMES),
            "template": "outcome-template.csv",
            "time_format": "ISO 8601 UTC, e.g. 2026-01-31T14:05:00Z",
            "description": (
                "One row per item: pack_ref, capture_id, outcome (removed, restricted, "
                "no_violation, already_gone or pending), time of the action, optional comment. "
                "CSV with that header row, or JSON: a list of objects with those keys."
            ),
        },
        "items": entries,
        "generator": {"name": "Analyst Workstation", "version": spec.app_version},
    }


def _csv_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (numbers like +44... stay)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not re.fullmatch(r"[+-][\d\s().-]*", text)
    ):
        return "'" + text
    return text


def indicators_csv(spec: PackSpec, items: Sequence[PackItem]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["pack_ref", "item", "capture_id", "kind", "value", "normalized", "source",
                     "prior_packs"])
    for item in items:
        for ind in item.indicators:
            writer.writerow([_csv_cell(v) for v in (
                spec.ref, item.position, item.capture_id, ind.get("kind"), ind.get("value"),
                ind.get("normalized"), ind.get("source"), " ".join(ind.get("prior_packs", [])),
            )])
    return out.getvalue().encode("utf-8")


def outcome_template_csv(spec: PackSpec, items: Sequence[PackItem]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(OUTCOME_FIELDS)
    for item in items:
        writer.writerow([spec.ref, item.capture_id, "pending", "", ""])
    return out.getvalue().encode("utf-8")


def _fingerprint_lines(spec: PackSpec) -> list[str]:
    return [f"  {r.fingerprint}  ({r.role}: {r.kind}{' ' + r.comment if r.comment else ''})"
            for r in spec.recipients]


def recipient_steps(spec: PackSpec) -> str:
    """The standard-tools steps, shared by the inner README and the cover notes."""
    name = spec.file_name
    return f"""\
You need: age (https://age-encryption.org), minisign (https://jedisct1.github.io/minisign/),
unzip and sha256sum -- or `workstation pack open`, which does all of this.

  1. Decrypt with your age or SSH private key:
       age -d -i key.txt {name} > pack.zip
  2. Unpack into a new folder:
       unzip pack.zip -d {spec.ref}
       cd {spec.ref}
  3. Check the agency's signature (agency.pub is the public key we gave you when
     your contact details were verified; its key id is {spec.signing_key_id}):
       minisign -V -p agency.pub -m {SUMS}
     It must print "Signature and comment signature verified" and a trusted
     comment starting "alertpack:{spec.ref}" whose "to:" list holds your key's
     fingerprint without spaces.
  4. Check every file:
       sha256sum -c {SUMS}
     Every line must end in "OK".

If any step fails, do not act on the pack: call the 24/7 contact below.
"""


def readme_text(spec: PackSpec, items: Sequence[PackItem]) -> str:
    """``README.txt``: what this is, the recipient's steps, what we ask, how to answer."""
    c24 = spec.contact_24x7
    lines = [
        f"{spec.handling}",
        "",
        f"ALERT PACK {spec.ref}",
        f"From:     {spec.agency}, {spec.unit} (analyst: {spec.analyst})",
        f"To:       {spec.contact.get('name')} "
        f"({spec.contact.get('organisation') or spec.operator}), {spec.platform}",
        f"Created:  {spec.created_at} (UTC)",
        f"Priority: {spec.priority.upper()}   Action requested by: {spec.deadline_at} (UTC)",
        f"Items:    {len(items)}",
        "",
        "WHAT WE ASK",
        f"  {spec.action.upper()}: {ACTIONS[spec.action]}",
        f"  Please also preserve the content and the related account data for "
        f"{spec.preserve_days} days.",
    ]
    if spec.reason:
        lines += ["", "WHY", f"  {spec.reason}"]
    lines += [
        "",
        "BASIS",
        f"  {spec.basis.get('document')}: {spec.basis.get('title')}"
        + (f" -- {spec.basis.get('section')}" if spec.basis.get("section") else ""),
        f"  {spec.basis.get('url')}",
        f"  {spec.basis.get('clause')}",
        "",
        "WHAT IS INSIDE",
        "  report.html          the adverts, one per section, for a person to read",
        "  manifest.json        every item and file with its SHA-256 and MD5",
        "  evidence/            the original screenshots, byte-exact",
        "  ocr/                 the text read from each screenshot",
        "  indicators.csv       phone numbers, handles, links ... (with earlier packs naming them)",
        "  stix.json            the same as a STIX 2.1 bundle",
        "  outcome-template.csv the form for your answer",
        f"  {SUMS} / {SUMS_SIG}   checksums of every file, signed by the agency",
        "",
        "HOW TO CHECK THIS PACK",
        *["  " + line if line else "" for line in recipient_steps(spec).splitlines()],
        "This pack was encrypted to these keys (fingerprints):",
        *_fingerprint_lines(spec),
        "",
        "HOW TO ANSWER",
        "  Fill in outcome-template.csv -- one row per item: pack_ref, capture_id, outcome,",
        "  time, comment -- with outcome one of: removed, restricted, no_violation,",
        "  already_gone, pending; time in UTC (e.g. 2026-01-31T14:05:00Z).",
        f"  Send it to: {spec.reply_to or c24.get('email') or '(the sender of this pack)'}",
        "",
        "24/7 CONTACT",
        f"  {c24.get('name', '')}  {c24.get('phone', '')}  {c24.get('email', '')}".rstrip(),
        "",
        f"{spec.handling}",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# report.html


_CSS = """
body{font-family:"Noto Sans","Noto Sans Arabic","Segoe UI",Arial,sans-serif;margin:0;
color:#1b1b1b;background:#fafafa;line-height:1.45}
.marking{background:#8b0000;color:#fff;text-align:center;font-weight:bold;padding:4px;
letter-spacing:.08em}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.2em;border-bottom:2px solid #ccc;
padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:start;vertical-align:top}
th{background:#eee;font-weight:600}
.item{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.item figure{margin:0;flex:0 0 auto}
.item img{max-width:360px;max-height:780px;border:1px solid #999}
.facts{flex:1 1 420px;min-width:320px}
.ocr{background:#fff;border:1px solid #ddd;padding:8px;white-space:pre-wrap;
font-family:"Noto Sans Mono","Noto Naskh Arabic",monospace;unicode-bidi:plaintext}
.ocr p{margin:0}.mono{font-family:monospace;word-break:break-all}
.urgent{color:#8b0000;font-weight:bold}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _row(label: str, value_html: str) -> str:
    return f"<tr><th scope=\"row\">{_e(label)}</th><td>{value_html}</td></tr>\n"


def _link(url: str | None) -> str:
    if not url:
        return ""
    href = _safe_href(url)
    if href is None:
        return f'<span class="mono" dir="ltr">{_e(url)}</span>'
    return (f'<a class="mono" dir="ltr" href="{_e(href)}" rel="noopener noreferrer">'
            f"{_e(url)}</a>")


def report_html(spec: PackSpec, items: Sequence[PackItem],
                preview_for: Callable[[PackItem], bytes | None] | None = None,
                ) -> Iterator[bytes]:
    """``report.html`` in pieces (one item at a time, so memory stays flat).

    Self-contained: no script, no external resource (a Content-Security-Policy
    forbids any), images as ``data:`` URIs, every value escaped, text of unknown
    direction marked ``dir="auto"`` and Arabic-script OCR text ``dir="rtl"``.
    ``preview_for`` gives an item's JPEG preview (default: ``item.preview()``).
    """
    c24 = spec.contact_24x7
    head = [
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">\n",
        "<meta name=\"referrer\" content=\"no-referrer\">\n",
        f"<title>{_e(spec.handling)} — Alert pack {_e(spec.ref)}</title>\n",
        f"<style>{_CSS}</style>\n</head>\n<body>\n",
        f"<div class=\"marking\">{_e(spec.handling)}</div>\n<main>\n",
        f"<h1>Alert pack {_e(spec.ref)}</h1>\n",
        "<table>\n",
        _row("From", f"{_e(spec.agency)} — {_e(spec.unit)} (analyst {_e(spec.analyst)})"),
        _row("To", f"<bdi>{_e(spec.contact.get('name'))}</bdi>, "
                   f"{_e(spec.contact.get('organisation') or spec.operator)} "
                   f"({_e(spec.platform)})"),
        _row("Created (UTC)", _e(spec.created_at)),
        _row("Priority", f"<span class=\"{'urgent' if spec.priority == 'urgent' else ''}\">"
                         f"{_e(spec.priority.upper())}</span>"),
        _row("Requested action", f"<b>{_e(spec.action.upper())}</b>: {_e(ACTIONS[spec.action])}"
                                 f" Preserve data for {spec.preserve_days} days."),
        _row("Deadline (UTC)", _e(spec.deadline_at)),
        _row("Reason", f"<span dir=\"auto\">{_e(spec.reason)}</span>"),
        _row("Basis", _basis_html(spec.basis)),
        _row("24/7 contact", f"{_e(c24.get('name'))} <span dir=\"ltr\">{_e(c24.get('phone'))}"
                             f"</span> {_e(c24.get('email'))}"),
        _row("Items", str(len(items))),
        "</table>\n",
        "<p>How to answer: fill in <code>outcome-template.csv</code> (one row per item: "
        "removed, restricted, no_violation, already_gone or pending) and send it to "
        f"{_e(spec.reply_to or c24.get('email') or 'the sender')}.</p>\n",
    ]
    yield "".join(head).encode("utf-8")
    for item in items:
        preview = None
        with contextlib.suppress(Exception):  # a preview is a courtesy; the original is there
            if preview_for is not None:
                preview = preview_for(item)
            elif item.preview is not None:
                preview = item.preview()
        yield _item_html(spec, item, preview).encode("utf-8")
    yield f"</main>\n<div class=\"marking\">{_e(spec.handling)}</div>\n</body>\n</html>\n".encode()


def _basis_html(basis: dict[str, Any]) -> str:
    section = f" — {_e(basis.get('section'))}" if basis.get("section") else ""
    return (f"{_e(basis.get('document'))}: <b>{_e(basis.get('title'))}</b>{section}"
            f"<br>{_link(basis.get('url'))}<br>{_e(basis.get('clause'))}")


def _item_html(spec: PackSpec, item: PackItem, preview: bytes | None) -> str:
    parts = [f"<section id=\"item-{item.position}\">\n",
             f"<h2>Item {item.position} — capture #{item.capture_id}</h2>\n<div class=\"item\">\n"]
    original = (f"<a href=\"{_e(item.evidence_name)}\"><code>{_e(item.evidence_name)}</code></a>"
                f" ({item.width}×{item.height})")
    if preview:
        data = base64.b64encode(preview).decode("ascii")
        parts.append(f"<figure><img alt=\"Screenshot of item {item.position}\" "
                     f"src=\"data:image/jpeg;base64,{data}\"><figcaption>Preview; original: "
                     f"{original}</figcaption></figure>\n")
    else:
        parts.append(f"<figure><figcaption>No preview; original: {original}</figcaption>"
                     "</figure>\n")
    parts.append("<div class=\"facts\"><table>\n")
    parts.append(_row("URL", _link(item.source_url)))
    parts.append(_row("Content id",
                      f"<span class=\"mono\" dir=\"ltr\">{_e(item.content_id)}</span>"))
    parts.append(_row("Content type", _e(item.content_type)))
    parts.append(_row("Account", f"<bdi dir=\"auto\">{_e(item.handle)}</bdi> "
                                 f"{_link(item.profile_url)}"
                                 + (f" id <span class=\"mono\">{_e(item.account_id)}</span>"
                                    if item.account_id else "")))
    parts.append(_row("Observed (UTC)", f"{_e(item.observed_at)} ({_e(item.observed_at_source)})"))
    parts.append(_row("Languages", _e(", ".join(item.languages))))
    parts.append(_row("Policy", _e(item.policy)))
    parts.append(_row("SHA-256", f"<span class=\"mono\">{_e(item.sha256)}</span>"))
    parts.append(_row("MD5", f"<span class=\"mono\">{_e(item.md5)}</span>"))
    if item.pdq:
        parts.append(_row("PDQ", f"<span class=\"mono\">{_e(item.pdq)}</span> "
                                 f"(quality {_e(item.pdq_quality)})"))
    if item.prior_refs:
        parts.append(_row("Earlier packs", _e(", ".join(item.prior_refs))))
    parts.append("</table>\n")
    if item.indicators:
        parts.append("<table><tr><th>Kind</th><th>Value (normalised)</th><th>As read</th>"
                     "<th>Earlier packs</th></tr>\n")
        for ind in item.indicators:
            parts.append(
                f"<tr><td>{_e(ind.get('kind'))}</td><td><bdi dir=\"ltr\" class=\"mono\">"
                f"{_e(ind.get('normalized'))}</bdi></td><td><bdi dir=\"auto\">"
                f"{_e(ind.get('value'))}</bdi></td><td>{_e(' '.join(ind.get('prior_packs', [])))}"
                "</td></tr>\n")
        parts.append("</table>\n")
    if item.ocr_text is not None:
        langs = [HTML_LANG.get(lang, lang) for lang in item.languages]
        lang_attr = f" lang=\"{_e(langs[0])}\"" if langs else ""
        direction = "rtl" if item.rtl else "auto"
        lines = item.ocr_text.splitlines() or [""]
        body = "".join(f"<p dir=\"auto\">{_e(line) or '&nbsp;'}</p>" for line in lines)
        parts.append(f"<h3>Text read (OCR)</h3>\n<div class=\"ocr\" dir=\"{direction}\""
                     f"{lang_attr}>{body}</div>\n")
    parts.append("</div></div>\n</section>\n")
    return "".join(parts)


def make_preview(path: Path, box: tuple[int, int] = _PREVIEW_BOX) -> bytes | None:
    """A JPEG preview of an image file for the report, or None when it cannot be made cheaply."""
    from PIL import Image, ImageOps

    import workstation.evidence.images  # noqa: F401 - registers the HEIC opener

    with Image.open(path) as image:
        if image.width * image.height > _PREVIEW_MAX_PIXELS:
            return None
        if image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale: at least half the box
            image.draft("RGB", (box[0] // 2, box[1] // 2))
        image.seek(0)
        frame = ImageOps.exif_transpose(image) or image
        if frame.mode in ("RGBA", "LA", "P", "PA"):
            rgba = frame.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            frame = flat
        elif frame.mode != "RGB":
            frame = frame.convert("RGB")
        frame.thumbnail(box, Image.Resampling.BILINEAR, reducing_gap=2.0)
        out = io.BytesIO()
        frame.save(out, "JPEG", quality=72, optimize=False)
        return out.getvalue()


# ---------------------------------------------------------------------------
# stix.json


def _stix_str(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def stix_bundle(spec: PackSpec, items: Sequence[PackItem]) -> str:
    """A STIX 2.1 bundle: the agency, a Report, observed data and indicators per item."""
    import stix2

    marking = stix2.MarkingDefinition(
        definition_type="statement", name=spec.handling,
        definition=stix2.StatementMarking(
            statement=f"{spec.handling}. Alert pack {spec.ref}; for {spec.operator} trust and "
                      "safety only."),
    )
    agency = stix2.Identity(name=f"{spec.agency} — {spec.unit}", identity_class="organization",
                            object_marking_refs=[marking.id])
    common: dict[str, Any] = {"created_by_ref": agency.id, "object_marking_refs": [marking.id]}
    objects: list[Any] = [marking, agency]
    report_refs: list[str] = [agency.id]
    account_type = _STIX_ACCOUNT_TYPES.get(spec.platform, spec.platform)
    seen_indicators: dict[str, Any] = {}

    def indicator(name: str, pattern: str, description: str) -> Any:
        if pattern in seen_indicators:
            return seen_indicators[pattern]
        obj = stix2.Indicator(
            name=name, pattern=pattern, pattern_type="stix", valid_from=spec.created_at,
            indicator_types=["malicious-activity"], description=description,
            labels=["people-smuggling-advert"], **common)
        seen_indicators[pattern] = obj
        objects.append(obj)
        report_refs.append(obj.id)
        return obj

    for item in items:
        scos: list[Any] = []
        file_obj = stix2.File(
            name=item.evidence_name.rsplit("/", 1)[-1], size=item.size,
            hashes={"SHA-256": item.sha256, "MD5": item.md5},
            mime_type=_MEDIA_TYPES.get(item.format, "application/octet-stream"))
        scos.append(file_obj)
        if item.source_url:
            scos.append(stix2.URL(value=item.source_url))
        if item.handle:
            scos.append(stix2.UserAccount(account_login=item.handle, account_type=account_type,
                                          user_id=item.account_id or item.handle))
        for sco in scos:
            objects.append(sco)
            report_refs.append(sco.id)
        observed = stix2.ObservedData(
            first_observed=item.observed_at, last_observed=item.observed_at, number_observed=1,
            object_refs=[s.id for s in scos], **common)
        objects.append(observed)
        report_refs.append(observed.id)
        made = [indicator(
            f"Screenshot of item {item.position} (capture #{item.capture_id})",
            f"[file:hashes.'SHA-256' = '{item.sha256}']",
            f"SHA-256 of the original screenshot {item.evidence_name} in pack {spec.ref}.")]
        if item.source_url:
            made.append(indicator(f"Advert URL (item {item.position})",
                                  f"[url:value = '{_stix_str(item.source_url)}']",
                                  f"Where item {item.position} of pack {spec.ref} was seen."))
        if item.handle:
            made.append(indicator(
                f"{spec.platform} account {item.handle}",
                f"[user-account:account_type = '{_stix_str(account_type)}' AND "
                f"user-account:account_login = '{_stix_str(item.handle)}']",
                f"Account that posted item {item.position} of pack {spec.ref}."))
        for ind in item.indicators:
            pattern = _indicator_pattern(ind, account_type)
            if pattern is not None:
                made.append(indicator(
                    f"{ind['kind']} {ind['normalized']}", pattern,
                    f"{ind['kind']} advertised in item {item.position} of pack {spec.ref}."))
        for obj in made:
            rel = stix2.Relationship(relationship_type="based-on", source_ref=obj.id,
                                     target_ref=observed.id, **common)
            objects.append(rel)
            report_refs.append(rel.id)
    report_obj = stix2.Report(
        name=f"Alert pack {spec.ref}: people-smuggling adverts on {spec.platform}",
        description=(f"{spec.priority.upper()} request to {spec.action} {len(items)} item(s) "
                     f"under {spec.basis.get('title')}. {spec.reason}").strip(),
        published=spec.created_at, report_types=["threat-report"],
        object_refs=list(dict.fromkeys(report_refs)),
        external_references=[{"source_name": "alertpack", "external_id": spec.ref}],
        **common)
    objects.append(report_obj)
    bundle = stix2.Bundle(objects=objects)
    # stix2's pretty printer sorts keys in quadratic time; indent the compact form instead.
    return json.dumps(json.loads(bundle.serialize()), ensure_ascii=False, indent=2) + "\n"


def _indicator_pattern(ind: dict[str, Any], account_type: str) -> str | None:
    kind, value = ind.get("kind"), str(ind.get("normalized") or "")
    if not value:
        return None
    v = _stix_str(value)
    if kind == "url":
        return f"[url:value = '{v}']"
    if kind == "email":
        return f"[email-addr:value = '{v}']"
    if kind == "phone":
        return f"[user-account:account_type = 'phone' AND user-account:user_id = '{v}']"
    if kind == "whatsapp":
        return f"[user-account:account_type = 'whatsapp' AND user-account:user_id = '{v}']"
    if kind == "telegram":
        return f"[user-account:account_type = 'telegram' AND user-account:account_login = '{v}']"
    if kind == "handle":
        return (f"[user-account:account_type = '{_stix_str(account_type)}' AND "
                f"user-account:account_login = '{v}']")
    return None  # prices and wallets are in indicators.csv and the manifest


# ---------------------------------------------------------------------------
# Sealing


class _IterReader:
    """A ``read(n)`` file object over an iterator of byte strings."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buffer) < n:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if n < 0 or n >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
            return out
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out


class _FilesSink:
    """Writes the same bytes to temporary files beside each destination; renamed on commit."""

    def __init__(self, destinations: Sequence[Path], modes: Sequence[int]) -> None:
        self._files: list[tuple[Path, str, Any, int]] = []
        self.size = 0
        try:
            for dest, mode in zip(destinations, modes, strict=True):
                fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.",
                                           suffix=".tmp")
                self._files.append((dest, tmp, os.fdopen(fd, "wb", buffering=1 << 20), mode))
        except OSError as exc:
            self.discard()
            raise PackError(f"Cannot create the pack file: {exc.strerror} ({exc.filename}).") \
                from None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        for _dest, _tmp, fh, _mode in self._files:
            fh.write(data)
        n = len(data)
        self.size += n
        return n

    def flush(self) -> None:
        """Bytes are flushed on commit."""

    def commit(self) -> None:
        for _dest, tmp, fh, mode in self._files:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.chmod(tmp, mode)
        for dest, tmp, _fh, _mode in self._files:
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
        self._files = []

    def discard(self) -> None:
        for _dest, tmp, fh, _mode in self._files:
            with contextlib.suppress(OSError):
                fh.close()
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._files = []


class _PreviewSpool:
    """Makes the report's previews in worker threads while the evidence streams.

    Pillow releases the GIL while decoding and resizing, so this overlaps with
    the hashing and encryption.  Previews are spooled to files in a private
    folder (next to the pack, inside the workspace) so memory stays flat.
    """

    def __init__(self, items: Sequence[PackItem], folder: Path, workers: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._dir = Path(tempfile.mkdtemp(prefix=".previews-", dir=folder))
        self._stop = False
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="pack-preview")
        self._futures = {item.position: self._pool.submit(self._make, item)
                         for item in items if item.preview is not None}

    def _make(self, item: PackItem) -> Path | None:
        if self._stop or item.preview is None:
            return None
        data = item.preview()
        if not data:
            return None
        path = self._dir / f"{item.position}.jpg"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path

    def get(self, item: PackItem) -> bytes | None:
        future = self._futures.get(item.position)
        if future is None:
            return None
        path = future.result()
        return path.read_bytes() if path is not None else None

    def close(self) -> None:
        self._stop = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def seal(
    spec: PackSpec,
    items: Sequence[PackItem],
    key: signing.SigningKey,
    destinations: Sequence[Path],
    *,
    modes: Sequence[int] | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> SealResult:
    """Write the encrypted pack to every path in ``destinations`` (atomically, one pass).

    Evidence is checked against its recorded SHA-256 (and MD5) while it is
    copied; any difference aborts the pack and leaves no output.
    """
    if not destinations:
        raise PackError("No destination for the pack.")
    if key.key_id_hex != spec.signing_key_id:
        raise PackError("The signing key does not match the pack's signing key id.")
    recipients = [r.recipient for r in spec.recipients]
    manifest = _json_bytes(build_manifest(spec, items))
    comment = trusted_comment(spec)
    sink = _FilesSink(destinations, modes or [0o644] * len(destinations))
    out_sha = hashlib.sha256()
    total = len(items)
    previews: _PreviewSpool | None = None
    try:
        previews = _PreviewSpool(items, destinations[0].parent,
                                 workers=min(4, (os.cpu_count() or 2) - 1))
        with (
            EncryptingWriter(HashingWriter(sink, out_sha), recipients) as enc,
            ZipPackWriter(enc, compression="auto", date_time=_zip_time(spec.created_at),
                          cancel=cancel) as zw,
        ):
            zw.add_bytes(MANIFEST, manifest)
            zw.add_bytes("README.txt", readme_text(spec, items).encode("utf-8"))
            zw.add_bytes("stix.json", stix_bundle(spec, items).encode("utf-8"))
            zw.add_bytes("indicators.csv", indicators_csv(spec, items))
            zw.add_bytes("outcome-template.csv", outcome_template_csv(spec, items))
            for item in items:
                ocr = item.ocr_bytes()
                if ocr is not None:
                    zw.add_bytes(item.ocr_name, ocr)
            for done, item in enumerate(items):
                report(progress, done, total, item.evidence_name)
                digest = zw.add_file(item.evidence_path, item.evidence_name,
                                     expected_sha256=item.sha256,
                                     # The SHA-256 check proves these are the captured
                                     # bytes, so the MD5 recorded at capture holds:
                                     # no second MD5 pass (~30% CPU per byte).
                                     md5=False)
                if digest.md5 and digest.md5 != item.md5.lower():
                    raise EvidenceChanged(
                        f"Evidence of capture #{item.capture_id} has an MD5 of {digest.md5}, not "
                        f"the {item.md5} recorded at capture. The pack was not created.")
            report(progress, total, total, "report.html")
            zw.add_stream(_IterReader(report_html(spec, items, previews.get)), "report.html")
            sums = zw.sha256sum_manifest().encode("utf-8")
            zw.add_bytes(SUMS, sums)
            hasher = signing.minisign_hasher()
            hasher.update(sums)
            sig = signing.sign_digest(
                key, hasher.digest(), comment,
                untrusted_comment=f"signature of {spec.ref} {SUMS} by agency key "
                                  f"{key.key_id_hex}")
            zw.add_bytes(SUMS_SIG, sig.encode("utf-8"))
            members = list(zw.members)
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    finally:
        if previews is not None:
            previews.close()
    return SealResult(size=sink.size, sha256=out_sha.hexdigest(), manifest_sha256=_sha256(manifest),
                      sums_sha256=_sha256(sums), members=members, trusted_comment=comment)


# ---------------------------------------------------------------------------
# Opening (a recipient's check; no workspace needed)


@dataclass(slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class OpenReport:
    """The verdict of :func:`open_pack`."""

    file: str
    checks: list[Check] = field(default_factory=list)
    ref: str | None = None
    platform: str | None = None
    signer_key_id: str | None = None
    trusted_comment: str | None = None
    items: int | None = None
    files: int | None = None
    extracted_to: str | None = None

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failure(self) -> str | None:
        for check in self.checks:
            if not check.ok:
                return f"{check.name}: {check.detail}"
        return None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "valid": self.valid,
            "verdict": "valid" if self.valid else "INVALID", "failure": self.failure,
            "ref": self.ref, "platform": self.platform, "signer_key_id": self.signer_key_id,
            "trusted_comment": self.trusted_comment, "items": self.items, "files": self.files,
            "extracted_to": self.extracted_to, "checks": [asdict(c) for c in self.checks],
        }


def identity_fingerprints(path: str | os.PathLike[str]) -> dict[str, str]:
    """Compact fingerprint → recipient text, for every identity in an identity file."""
    data = Path(path).read_bytes()
    found: dict[str, str] = {}
    if data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        from cryptography.hazmat.primitives import serialization

        try:
            private = serialization.load_ssh_private_key(data, password=None)
        except (ValueError, TypeError):
            raise InvalidIdentity(f"The SSH private key in {os.fspath(path)!r} cannot be read "
                                  "(passphrase-protected keys are not supported).") from None
        public = private.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
        try:
            recipient = parse_recipient(public)
        except InvalidRecipient as exc:
            raise InvalidIdentity(f"{os.fspath(path)!r}: {exc}") from None
        found[compact_fingerprint(recipient.fingerprint)] = recipient.text
        return found
    import pyrage

    for ident in load_identities(path):
        if isinstance(ident, pyrage.x25519.Identity):
            text = str(ident.to_public())
            found[compact_fingerprint(fingerprint_of(text))] = text
    return found


def parse_trusted_keys(text: str) -> list[signing.PublicKey]:
    """One or more minisign public keys (``.pub`` files concatenated, or base64 lines)."""
    keys: list[signing.PublicKey] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("untrusted comment:", "#")):
            continue
        keys.append(signing.parse_public_key(stripped))
    if not keys:
        raise signing.MalformedKey("The trusted key file holds no minisign public key.")
    return keys


def open_pack(
    pack: str | os.PathLike[str],
    identity: str | os.PathLike[str],
    trust: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    limits: ExtractLimits | None = None,
) -> OpenReport:
    """Decrypt, extract safely, and verify a pack as its recipient; never raises for a bad pack.

    With ``out_dir`` the verified files are left there; an invalid pack leaves
    nothing behind (what was extracted is removed again).
    """
    result = OpenReport(file=os.fspath(pack))
    if not Path(pack).is_file():
        result.add("inputs", False, f"{os.fspath(pack)!r} does not exist or is not a file")
        return result
    try:
        identities = load_identities(identity)
        mine = identity_fingerprints(identity)
        keys_text = Path(trust).read_text(encoding="utf-8")
    except (WorkstationError, OSError, UnicodeDecodeError) as exc:
        result.add("inputs", False, _message(exc))
        return result
    try:
        trusted = parse_trusted_keys(keys_text)
    except WorkstationError as exc:
        result.add("inputs", False, f"trusted key file: {exc}")
        return result
    if not mine:
        result.add("inputs", False, "The identity file holds no usable private key.")
        return result
    result.add("inputs", True, f"{len(mine)} identity key(s), {len(trusted)} trusted "
                               f"agency key(s)")

    target = Path(out_dir) if out_dir is not None else None
    created_target = False
    if target is not None:
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            result.add("output", False, f"{os.fspath(target)!r} exists and is not an empty folder")
            return result
        created_target = not target.exists()
        work_parent: Path | None = target.absolute().parent
        target.absolute().parent.mkdir(parents=True, exist_ok=True)
    else:
        work_parent = None
    work = Path(tempfile.mkdtemp(prefix=".alertpack-open-", dir=work_parent))
    extract_to = target if target is not None else work / "pack"
    try:
        _open_into(result, Path(pack), identities, mine, trusted, work, extract_to, limits)
    finally:
        with contextlib.suppress(OSError):
            (work / "pack.zip").unlink()
        shutil.rmtree(work, ignore_errors=True)
        if target is not None and not result.valid:
            _remove_extracted(target, created_target)
    if target is not None and result.valid:
        result.extracted_to = os.fspath(target)
    return result


def _remove_extracted(target: Path, created: bool) -> None:
    if not target.exists() or target.is_symlink():
        return
    if created:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                child.unlink()


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)
    return str(exc)


def _open_into(
    result: OpenReport,
    pack: Path,
    identities: list[Any],
    mine: dict[str, str],
    trusted: list[signing.PublicKey],
    work: Path,
    target: Path,
    limits: ExtractLimits | None,
) -> None:
    plain = work / "pack.zip"
    try:
        decrypt_file(pack, plain, identities)
    except WrongKey:
        result.add("decrypt", False, "wrong identity: none of your keys can open this pack "
                                     "(it was encrypted to other recipients)")
        return
    except (DecryptionFailed, OSError) as exc:
        result.add("decrypt", False, f"the encrypted file is damaged, truncated or altered "
                                     f"({_message(exc)})")
        return
    result.add("decrypt", True, "age decryption authenticated every chunk")

    try:
        members = safe_extract(plain, target, limits=limits)
    except ArchiveError as exc:
        result.add("extract", False, str(exc))
        return
    except WorkstationError as exc:
        result.add("extract", False, str(exc))
        return
    digests = {m.name: m for m in members}
    result.files = len(members)
    result.add("extract", True, f"{len(members)} files extracted safely")

    missing = [name for name in REQUIRED_FILES if name not in digests]
    if not result.add("contents", not missing,
                      f"missing {', '.join(missing)}" if missing else "all required files present"):
        return

    sig_text = (target / SUMS_SIG).read_text(encoding="utf-8", errors="replace")
    try:
        signer, comment = signing.verify_file_with_keys(trusted, target / SUMS, sig_text)
    except WorkstationError as exc:
        result.add("signature", False, f"{SUMS}: {exc}")
        return
    result.signer_key_id = signer.key_id_hex
    result.trusted_comment = comment
    result.add("signature", True, f"{SUMS} signed by agency key {signer.key_id_hex}")

    if not _check_sums(result, (target / SUMS).read_text(encoding="utf-8", errors="replace"),
                       digests):
        return

    fields = parse_trusted_comment(comment)
    result.ref = fields.get("alertpack")
    result.platform = fields.get("platform")
    listed = {fp for key in ("to", "archive") for fp in fields.get(key, "").split(",") if fp}
    ours = sorted(set(mine) & listed)
    if not result.ref:
        result.add("recipient", False, "the signed comment names no pack reference")
        return
    if not result.add(
        "recipient", bool(ours),
        f"addressed to your key {ours[0]}" if ours else
        "this pack was not addressed to your key: the agency sealed it for "
        f"{', '.join(sorted(listed)) or 'nobody'}, and it was re-encrypted for you by someone "
        "else",
    ):
        return
    _check_manifest(result, target, digests, fields)


def _check_sums(result: OpenReport, text: str, digests: dict[str, MemberDigest]) -> bool:
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            return result.add("checksums", False, f"{SUMS} line {number} is malformed")
        listed[match.group(2)] = match.group(1)
    bad = sorted(name for name, digest in listed.items()
                 if name in digests and digests[name].sha256 != digest)
    absent = sorted(name for name in listed if name not in digests)
    unlisted = sorted(set(digests) - set(listed) - {SUMS, SUMS_SIG})
    if bad:
        return result.add("checksums", False, f"changed file(s): {', '.join(bad)} (SHA-256 "
                                              f"differs from {SUMS})")
    if absent:
        return result.add("checksums", False, f"missing file(s) listed in {SUMS}: "
                                              f"{', '.join(absent)}")
    if unlisted:
        return result.add("checksums", False, f"file(s) not listed in {SUMS}: "
                                              f"{', '.join(unlisted)}")
    return result.add("checksums", True, f"{len(listed)} files match {SUMS}")


def _check_manifest(result: OpenReport, target: Path, digests: dict[str, MemberDigest],
                    fields: dict[str, str]) -> None:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        result.add("manifest", False, f"{MANIFEST} cannot be read ({exc})")
        return
    problems: list[str] = []
    if manifest.get("format") != FORMAT:
        problems.append("not an alert pack manifest")
    elif manifest.get("format_version") != FORMAT_VERSION:
        problems.append(f"format version {manifest.get('format_version')} is not supported "
                        f"(this tool reads version {FORMAT_VERSION})")
    if manifest.get("pack_ref") != fields.get("alertpack"):
        problems.append(f"pack_ref {manifest.get('pack_ref')!r} differs from the signed "
                        f"reference {fields.get('alertpack')!r}")
    keys = {compact_fingerprint(k.get("fingerprint", ""))
            for k in manifest.get("recipient", {}).get("keys", [])}
    listed = {fp for key in ("to", "archive") for fp in fields.get(key, "").split(",") if fp}
    if keys != listed:
        problems.append("the recipient keys differ from the signed recipient list")
    items = manifest.get("items", [])
    for item in items:
        for f in item.get("files", []):
            got = digests.get(f.get("path"))
            if got is None:
                problems.append(f"item {item.get('item')}: {f.get('path')} is missing")
            elif got.sha256 != f.get("sha256") or got.md5 != f.get("md5"):
                problems.append(f"item {item.get('item')}: {f.get('path')} differs from its "
                                "SHA-256/MD5 in the manifest")
    result.items = len(items)
    result.add("manifest", not problems,
               "; ".join(problems) if problems else
               f"{len(items)} item(s); every file matches its SHA-256 and MD5")
