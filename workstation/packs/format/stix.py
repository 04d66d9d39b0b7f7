"""``stix.json``: the pack's indicators as a STIX 2.1 bundle.

Only confirmed indicators become STIX ``indicator`` objects: a consumer acts on
them, so what the analyst has not confirmed (an OCR misreading, say) stays in the
manifest and the report, marked unconfirmed, and is only counted here.  A handle is
an account on the platform its text names (``Instagram: @x`` in a Facebook post is
an Instagram account), else on the pack's platform.  A wallet is an indicator whose
pattern names a custom ``x-cryptocurrency-wallet`` object (STIX 2.1 has no wallet
object; the OASIS validator accepts ``x-`` types in patterns); a price is a ``note``
on the item's observed data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from workstation.packs.format.spec import _MEDIA_TYPES, PackItem, PackSpec

_STIX_ACCOUNT_TYPES = {"x": "twitter"}
#: STIX 2.1's namespace for the deterministic ids of cyber-observable objects (3.2).
_SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
#: The properties each observable's deterministic id is made from (STIX 2.1, 6.x).
_ID_PROPERTIES = {"file": ("hashes", "name", "extensions", "parent_directory_ref"),
                  "url": ("value",),
                  "user-account": ("account_type", "user_id", "account_login")}


def _stix_str(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _timestamp(value: str | datetime, *, milliseconds: bool = False) -> str:
    """A STIX timestamp (UTC, ``Z``) as stix2 writes one: ``created``/``modified`` to
    the millisecond, as STIX 2.1 requires; others as precise as the value, with no
    trailing zeros (``…:27.79Z``, ``…:27Z``)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if milliseconds:
        return f"{text}.{moment.microsecond // 1000:03d}Z"
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def _observable(kind: str, **properties: Any) -> dict[str, Any]:
    """A cyber-observable object with its deterministic id: a UUIDv5 of the canonical
    JSON (RFC 8785: here only strings and integers) of its id properties, one hash
    chosen MD5 first as STIX 2.1 says (and as the OASIS ``stix2`` library makes it)."""
    basis: dict[str, Any] = {}
    for key in _ID_PROPERTIES[kind]:
        if key in properties:
            value = properties[key]
            if key == "hashes":
                chosen = next(h for h in ("MD5", "SHA-1", "SHA-256", "SHA-512", *value)
                              if h in value)
                value = {chosen: value[chosen]}
            basis[key] = value
    canonical = json.dumps(basis, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {"type": kind, "spec_version": "2.1",
            "id": f"{kind}--{uuid.uuid5(_SCO_NAMESPACE, canonical)}", **properties}


class _Bundle:
    """The bundle's objects as JSON-ready dictionaries, written as the OASIS ``stix2``
    library writes them (the same properties, ids and timestamp forms; a test reads
    every object back with ``stix2.parse(allow_custom=False)``, which validates each
    indicator's pattern too).  Made directly: building ``stix2`` objects validated
    every pattern with an ANTLR parser as the pack was sealed, a third of a 200 MB
    pack's sealing time."""

    def __init__(self, created: str) -> None:
        self.created = created
        self.objects: list[dict[str, Any]] = []
        self.refs: list[str] = []

    def add(self, kind: str, properties: dict[str, Any], *, refer: bool = True,
            common: dict[str, Any] | None = None) -> dict[str, Any]:
        obj = {"type": kind, "spec_version": "2.1", "id": f"{kind}--{uuid.uuid4()}",
               **({"created_by_ref": common["created_by_ref"]} if common else {}),
               "created": self.created, "modified": self.created, **properties}
        if common:
            obj["object_marking_refs"] = common["object_marking_refs"]
        return self.append(obj, refer=refer)

    def append(self, obj: dict[str, Any], *, refer: bool = True) -> dict[str, Any]:
        self.objects.append(obj)
        if refer:
            self.refs.append(obj["id"])
        return obj


def stix_bundle(spec: PackSpec, items: Sequence[PackItem]) -> str:
    """A STIX 2.1 bundle: the agency, a Report, observed data and indicators per item."""
    bundle = _Bundle(_timestamp(datetime.now(UTC), milliseconds=True))
    marking = bundle.add("marking-definition", {
        "name": spec.handling, "definition_type": "statement",
        "definition": {"statement": f"{spec.handling}. Alert pack {spec.ref}; for "
                                    f"{spec.operator} trust and safety only."}}, refer=False)
    del marking["modified"]  # a marking definition is never modified
    agency = bundle.add("identity", {
        "name": f"{spec.agency} — {spec.unit}", "identity_class": "organization",
        "object_marking_refs": [marking["id"]]})
    common: dict[str, Any] = {"created_by_ref": agency["id"],
                              "object_marking_refs": [marking["id"]]}
    account_type = _STIX_ACCOUNT_TYPES.get(spec.platform, spec.platform)
    valid_from = _timestamp(spec.created_at)
    seen_indicators: dict[str, dict[str, Any]] = {}

    def indicator(name: str, pattern: str, description: str) -> dict[str, Any]:
        if pattern not in seen_indicators:
            seen_indicators[pattern] = bundle.add("indicator", {
                "name": name, "description": description,
                "indicator_types": ["malicious-activity"], "pattern": pattern,
                "pattern_type": "stix", "pattern_version": "2.1", "valid_from": valid_from,
                "labels": ["people-smuggling-advert"]}, common=common)
        return seen_indicators[pattern]

    for item in items:
        scos = [_observable("file", name=item.evidence_name.rsplit("/", 1)[-1],
                            size=item.size, hashes={"SHA-256": item.sha256, "MD5": item.md5},
                            mime_type=_MEDIA_TYPES.get(item.format,
                                                       "application/octet-stream"))]
        if item.source_url:
            scos.append(_observable("url", value=item.source_url))
        if item.handle:
            scos.append(_observable("user-account", user_id=item.account_id or item.handle,
                                    account_login=item.handle, account_type=account_type))
        for sco in scos:
            bundle.append(sco)
        observed_at = _timestamp(item.observed_at)
        observed = bundle.add("observed-data", {
            "first_observed": observed_at, "last_observed": observed_at,
            "number_observed": 1, "object_refs": [s["id"] for s in scos]}, common=common)
        made = [indicator(
            f"Screenshot of item {item.position} (capture #{item.capture_id})",
            f"[file:hashes.'SHA-256' = '{item.sha256}']",
            f"SHA-256 of the original screenshot {item.evidence_name} in pack {spec.ref}. "
            f"Requested: {item.action} ({item.priority}) by {item.deadline_utc} under "
            f"{item.policy}.")]
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
                    _indicator_name(ind), pattern,
                    f"{ind['kind']} advertised in item {item.position} of pack {spec.ref}."))
        for obj in made:
            bundle.add("relationship", {"relationship_type": "based-on",
                                        "source_ref": obj["id"],
                                        "target_ref": observed["id"]}, common=common)
        for abstract, content in _price_notes(spec, item):
            bundle.add("note", {"abstract": abstract, "content": content,
                                "object_refs": [observed["id"]]}, common=common)
    unconfirmed = sum(len(item.unconfirmed) for item in items)
    not_indicators = (f" {unconfirmed} further value(s) read from the adverts are not "
                      "confirmed by the analyst: they are listed, marked unconfirmed, in "
                      "manifest.json and report.html only, and are not indicators."
                      if unconfirmed else "")
    bundle.add("report", {
        "name": f"Alert pack {spec.ref}: people-smuggling adverts on {spec.platform}",
        "description": (f"{spec.priority.upper()} request to {spec.action} {len(items)} "
                        f"item(s) under {spec.basis.get('title')}. {spec.reason}").strip()
                       + not_indicators,
        "report_types": ["threat-report"], "published": valid_from,
        "object_refs": list(dict.fromkeys(bundle.refs)),
        "external_references": [{"source_name": "alertpack", "external_id": spec.ref}]},
        refer=False, common=common)
    document = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": bundle.objects}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


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
        named = ind.get("platform")
        on = _STIX_ACCOUNT_TYPES.get(named, named) if named else account_type
        return (f"[user-account:account_type = '{_stix_str(on)}' AND "
                f"user-account:account_login = '{v}']")
    if kind == "crypto":  # STIX 2.1 has no wallet object: a custom (x-) type in the pattern
        symbol, _, address = value.partition(":")
        if not address:
            return f"[x-cryptocurrency-wallet:address = '{v}']"
        return (f"[x-cryptocurrency-wallet:currency = '{_stix_str(symbol)}' AND "
                f"x-cryptocurrency-wallet:address = '{_stix_str(address)}']")
    return None  # prices are notes on the observed data (see _price_notes)


def _price_notes(spec: PackSpec, item: PackItem) -> list[tuple[str, str]]:
    """The prices an item advertises, as the abstract and content of STIX notes on its
    observed data: what the crossing costs is context for the platform, not something
    to detect."""
    return [(f"Price advertised: {ind['normalized']}",
             f"Item {item.position} of pack {spec.ref} advertises a price of "
             f"{ind['normalized']} (as written: {ind.get('value')}).")
            for ind in item.indicators
            if ind.get("kind") == "price" and ind.get("normalized")]


def _indicator_name(ind: dict[str, Any]) -> str:
    """``phone +44...``; a handle names its platform (``instagram account x``); a
    wallet its currency (``BTC wallet bc1...``)."""
    if ind.get("kind") == "handle" and ind.get("platform"):
        return f"{ind['platform']} account {ind['normalized']}"
    if ind.get("kind") == "crypto" and ":" in str(ind.get("normalized")):
        symbol, _, address = str(ind["normalized"]).partition(":")
        return f"{symbol} wallet {address}"
    return f"{ind['kind']} {ind['normalized']}"
