"""``stix.json``: the pack's indicators as a STIX 2.1 bundle (OASIS ``stix2``).

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
from collections.abc import Sequence
from typing import Any

from workstation.packs.format.spec import _MEDIA_TYPES, PackItem, PackSpec

_STIX_ACCOUNT_TYPES = {"x": "twitter"}


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
            rel = stix2.Relationship(relationship_type="based-on", source_ref=obj.id,
                                     target_ref=observed.id, **common)
            objects.append(rel)
            report_refs.append(rel.id)
        for note in _price_notes(spec, item, observed, common):
            objects.append(note)
            report_refs.append(note.id)
    unconfirmed = sum(len(item.unconfirmed) for item in items)
    not_indicators = (f" {unconfirmed} further value(s) read from the adverts are not "
                      "confirmed by the analyst: they are listed, marked unconfirmed, in "
                      "manifest.json and report.html only, and are not indicators."
                      if unconfirmed else "")
    report_obj = stix2.Report(
        name=f"Alert pack {spec.ref}: people-smuggling adverts on {spec.platform}",
        description=(f"{spec.priority.upper()} request to {spec.action} {len(items)} item(s) "
                     f"under {spec.basis.get('title')}. {spec.reason}").strip()
                    + not_indicators,
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


def _price_notes(spec: PackSpec, item: PackItem, observed: Any,
                 common: dict[str, Any]) -> list[Any]:
    """The prices an item advertises, as STIX notes on its observed data: what the
    crossing costs is context for the platform, not something to detect."""
    import stix2

    notes = []
    for ind in item.indicators:
        if ind.get("kind") != "price" or not ind.get("normalized"):
            continue
        notes.append(stix2.Note(
            abstract=f"Price advertised: {ind['normalized']}",
            content=(f"Item {item.position} of pack {spec.ref} advertises a price of "
                     f"{ind['normalized']} (as written: {ind.get('value')})."),
            object_refs=[observed.id], **common))
    return notes


def _indicator_name(ind: dict[str, Any]) -> str:
    """``phone +44...``; a handle names its platform (``instagram account x``); a
    wallet its currency (``BTC wallet bc1...``)."""
    if ind.get("kind") == "handle" and ind.get("platform"):
        return f"{ind['platform']} account {ind['normalized']}"
    if ind.get("kind") == "crypto" and ":" in str(ind.get("normalized")):
        symbol, _, address = str(ind["normalized"]).partition(":")
        return f"{symbol} wallet {address}"
    return f"{ind['kind']} {ind['normalized']}"
