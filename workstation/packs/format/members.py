"""The plain members of a pack: ``manifest.json``, ``indicators.csv``, the outcome
template, ``README.txt`` (the recipient's steps) and the preview images."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from workstation.packs.format.spec import (
    _MEDIA_TYPES,
    ACTIONS,
    FORMAT,
    FORMAT_VERSION,
    OUTCOME_FIELDS,
    OUTCOMES,
    SUMS,
    SUMS_SIG,
    PackItem,
    PackSpec,
    _md5,
    _sha256,
)

_PREVIEW_BOX = (720, 1600)


_PREVIEW_MAX_PIXELS = 40_000_000


def build_manifest(spec: PackSpec, items: Sequence[PackItem]) -> dict[str, Any]:
    """The pack's ``manifest.json`` as a dict (see docs/pack-format.md)."""
    entries = []
    for item in items:
        files = [{
            "path": item.evidence_name, "role": "redacted" if item.redacted else "original",
            "size": item.size,
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
            # what is asked for this item (version 2): the pack's values unless set per item
            "action": item.action,
            "priority": item.priority,
            "deadline_utc": item.deadline_utc,
            "no_locator_reason": item.no_locator_reason,
            **({"policy_basis": item.policy_basis} if item.policy_basis else {}),
            **({"redacted": item.redacted} if item.redacted else {}),
            "indicators": item.indicators,
            "unconfirmed": item.unconfirmed,
            "pdq": ({"hash": item.pdq, "quality": item.pdq_quality}
                    if item.pdq is not None else None),
            "ocr": ({"engine": item.ocr_engine, "mean_confidence": item.ocr_confidence,
                     "models": item.ocr_models, "coverage": item.ocr_coverage,
                     "unread_regions": [list(b) for b in item.ocr_unread]}
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
            "signing_key_fingerprint": spec.signing_fingerprint or None,
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
            "reply_recipient": spec.reply_recipient,
            "encryption": "age",
            "commands": reply_commands(spec),
            "formats": ["csv", "json"],
            "fields": list(OUTCOME_FIELDS),
            "outcomes": list(OUTCOMES),
            "template": "outcome-template.csv",
            "time_format": "ISO 8601 UTC, e.g. 2026-01-31T14:05:00Z",
            "description": (
                "One row per item: pack_ref, capture_id, outcome (removed, restricted, "
                "no_violation, already_gone or pending), time of the action, optional comment. "
                "CSV with that header row, or JSON: a list of objects with those keys. "
                "Encrypt it to reply_recipient with age (and optionally sign the encrypted "
                "file with your own minisign key, whose public key the issuer holds) before "
                "sending it to send_to."
            ),
        },
        "items": entries,
        "audit_head": spec.audit_head,
        "generator": {"name": "Analyst Workstation", "version": spec.app_version},
    }


#: Cells that start like a formula but are plain values a spreadsheet shows as such:
#: an E.164 phone number (``+447700900123``), a number (``-12.5``) or a handle
#: (``@mohajer.travel``).  See docs/pack-format.md, "CSV cells".
_PLAIN_CELL = re.compile(r"\+[0-9]{1,15}|[+-]?[0-9]+(?:\.[0-9]+)?|@[A-Za-z0-9._]+")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula: one that starts with a tab,
    carriage return or line feed, or (after any leading spaces) with ``=``, or with
    ``+``, ``-`` or ``@`` and is not a plain phone number, number or handle, gets a
    leading ``'``; every other cell is written
    as it is (``@mohajer.travel``, ``+447700900123``)."""
    text = "" if value is None else str(value)
    if text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    # Leading spaces count for nothing: a spreadsheet that trims them on import would
    # see the formula behind them.
    bare = text.lstrip(" \t\r\n")
    first = bare[:1]
    if first == "=" or (first in ("+", "-", "@") and _PLAIN_CELL.fullmatch(bare) is None):
        return "'" + text
    return text


def indicators_csv(spec: PackSpec, items: Sequence[PackItem]) -> bytes:
    """``indicators.csv``: the confirmed indicators only.  A spreadsheet is acted on row
    by row, so values the analyst has not confirmed stay out of it (they are in the
    manifest's ``unconfirmed`` and the report, marked as such)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["pack_ref", "item", "capture_id", "kind", "value", "normalized", "source",
                     "prior_packs", "action", "priority", "deadline_utc", "policy",
                     "platform"])
    for item in items:
        for ind in item.indicators:
            writer.writerow([csv_cell(v) for v in (
                spec.ref, item.position, item.capture_id, ind.get("kind"), ind.get("value"),
                ind.get("normalized"), ind.get("source"), " ".join(ind.get("prior_packs", [])),
                item.action, item.priority, item.deadline_utc, item.policy,
                ind.get("platform") or "",  # a handle's platform is the one its text names
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
  3. Check the agency's signature with agency.pub, the agency's public key you received
     separately when your contact details were verified (never a key that came with a
     pack). It must be the key with key id {spec.signing_key_id} and fingerprint
     {spec.signing_fingerprint or '(not recorded)'}; the fingerprint is the first 32 hex digits of
       tail -n 1 agency.pub | tr -d '\\n' | sha256sum
     Then:
       minisign -V -p agency.pub -m {SUMS}
     It must print "Signature and comment signature verified" and a trusted
     comment starting "alertpack:{spec.ref}" whose "to:" list holds your key's
     fingerprint without spaces.
  4. Check every file:
       sha256sum -c {SUMS}
     Every line must end in "OK".

If any step fails, do not act on the pack: call the 24/7 contact below.
"""


def reply_commands(spec: PackSpec) -> dict[str, str] | None:
    """The commands a platform runs to answer: encrypt (and optionally sign)."""
    if not spec.reply_recipient:
        return None
    return {"encrypt": f"age -r {spec.reply_recipient} -o outcomes.csv.age outcomes.csv",
            "sign": "minisign -S -s platform.key -m outcomes.csv.age"}


def _answer_lines(spec: PackSpec) -> list[str]:
    """README's HOW TO ANSWER section: fill in, encrypt (optionally sign), send."""
    c24 = spec.contact_24x7
    send_to = spec.reply_to or c24.get("email") or "(the sender of this pack)"
    lines = [
        "HOW TO ANSWER",
        "  1. Fill in outcome-template.csv and save it as outcomes.csv -- one row per",
        "     item: pack_ref, capture_id, outcome, time, comment -- with outcome one of:",
        "     removed, restricted, no_violation, already_gone, pending; time in UTC",
        "     (e.g. 2026-01-31T14:05:00Z).",
    ]
    commands = reply_commands(spec)
    if commands is None:
        return [*lines, f"  2. Send it to: {send_to}"]
    return [
        *lines,
        "  2. Encrypt it to the agency's reply key (only the agency can read it):",
        f"       {commands['encrypt']}",
        "     Optionally sign the encrypted file with your own minisign key (give the",
        "     agency your public key once, apart from any answer):",
        f"       {commands['sign']}",
        f"  3. Send outcomes.csv.age (and outcomes.csv.age.minisig) to: {send_to}",
        "     by e-mail or any channel you use with us; never send outcomes.csv itself.",
    ]


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
    lines += _item_request_lines(spec, items)
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
        "  indicators.csv       phone numbers, handles, links ... confirmed by the analyst",
        "                       (with earlier packs naming them); values read but not yet",
        "                       confirmed are listed apart in manifest.json and report.html",
        "  stix.json            the same as a STIX 2.1 bundle",
        "  misp.json            the same as a MISP event (import it into MISP as JSON)",
        "  portal.csv           one row per item (URL, content id, account, policy, action,",
        "                       priority, deadline) to copy into a web reporting form",
        "  outcome-template.csv the form for your answer",
        *(["  timestamps/         RFC 3161 timestamps covering the items, with the",
           "                       `openssl ts -verify` command to check each (README.txt)"]
          if spec.timestamp_files else []),
        f"  {SUMS} / {SUMS_SIG}   checksums of every file, signed by the agency",
        "",
        "HOW TO CHECK THIS PACK",
        *["  " + line if line else "" for line in recipient_steps(spec).splitlines()],
        "This pack was encrypted to these keys (fingerprints):",
        *_fingerprint_lines(spec),
        "",
        *_answer_lines(spec),
        "",
        "24/7 CONTACT",
        f"  {c24.get('name', '')}  {c24.get('phone', '')}  {c24.get('email', '')}".rstrip(),
        "",
        f"{spec.handling}",
    ]
    return "\n".join(lines) + "\n"


def _item_request_lines(spec: PackSpec, items: Sequence[PackItem]) -> list[str]:
    """The items whose request differs from the pack's (action, priority, deadline,
    policy), and those sent without a URL or content id, for ``README.txt``."""
    lines = []
    policy = str(spec.basis.get("id"))
    for item in items:
        differs = [f"{item.action.upper()}" if item.action != spec.action else "",
                   f"{item.priority}" if item.priority != spec.priority else "",
                   f"by {item.deadline_utc}" if item.deadline_utc != spec.deadline_at else "",
                   f"policy {item.policy}" if item.policy != policy else ""]
        said = ", ".join(d for d in differs if d)
        if said:
            lines.append(f"  Item {item.position} (capture #{item.capture_id}): {said}")
        if item.no_locator_reason:
            lines.append(f"  Item {item.position} (capture #{item.capture_id}) has no URL or "
                         f"content id; sent because: {item.no_locator_reason}")
    return ["  Per item (manifest.json has every item's request):", *lines] if lines else []


def make_preview(path: Path | BinaryIO, box: tuple[int, int] = _PREVIEW_BOX) -> bytes | None:
    """A JPEG preview of an image (a file, or the verified bytes in a file object) for the
    report, or None when it cannot be made cheaply."""
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
