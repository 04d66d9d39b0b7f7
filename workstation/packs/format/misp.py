"""``misp.json``: the pack's confirmed indicators as one MISP event (built with
``pymisp``, offline), for platforms whose threat-intelligence tooling ingests MISP.

One group of MISP objects per item: a ``file`` object for the screenshot (SHA-256,
MD5, size, media type and, as a ``text`` attribute commented ``PDQ``, its PDQ hash:
MISP has no PDQ attribute type) that references what the item shows -- the advert's
URL (``url`` object, ``screenshot-of``), the account that posted it and every account
the text names (``user-account`` objects whose ``account-type`` is the platform the
text names: ``Instagram: @x`` in a Facebook post is an Instagram account), phone
numbers (``phone-number``), e-mail addresses (``email``), wallets (``coin-address``)
and prices (``text``, not for detection).  Only confirmed indicators go out (the same
selection as ``stix.json``).

The same pack always gives the same bytes: every UUID is derived from the pack
reference (UUID 5), every timestamp is the pack's creation time.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from workstation.packs.format.spec import _MEDIA_TYPES, PackItem, PackSpec

#: The namespace of every UUID in a pack's MISP event (UUID 5 of the pack reference).
MISP_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:alertpack:misp")

#: MISP threat levels: 1 high, 2 medium.
_THREAT_LEVEL = {"urgent": 1, "normal": 2}

#: A wallet the reader finds is ``SYMBOL:address``; in MISP's ``coin-address`` a
#: Bitcoin one is an ``address`` (type ``btc``), any other an ``address-crypto`` (text).
_BTC = "BTC"


def event_uuid(ref: str) -> str:
    """The MISP event UUID of pack ``ref`` (the same every time)."""
    return str(uuid.uuid5(MISP_NAMESPACE, f"alertpack:{ref}"))


class _Builder:
    """Builds the event; ``key`` names make each UUID stable and unique."""

    def __init__(self, spec: PackSpec) -> None:
        from pymisp import MISPEvent, MISPOrganisation

        self.spec = spec
        self.root = uuid.UUID(event_uuid(spec.ref))
        self.moment = datetime.fromisoformat(spec.created_at.replace("Z", "+00:00")) \
            .astimezone(UTC)
        event = MISPEvent(force_timestamps=True)
        event.uuid = str(self.root)
        event.info = f"Alert pack {spec.ref}: people-smuggling adverts on {spec.platform}"
        event.date = self.moment.date()
        event.timestamp = self.moment
        event.distribution = 0  # the recipient's organisation only (handling marking)
        event.threat_level_id = _THREAT_LEVEL.get(spec.priority, 2)
        event.analysis = 2  # confirmed by the analyst
        event.published = False
        orgc = MISPOrganisation()
        orgc.name = spec.agency
        orgc.uuid = str(uuid.uuid5(MISP_NAMESPACE, f"org:{spec.agency}"))
        event.Orgc = orgc
        event.add_tag(f'alertpack:pack-ref="{spec.ref}"')
        event.add_tag(f'alertpack:handling="{spec.handling}"')
        self.event = event

    def uuid(self, key: str) -> str:
        return str(uuid.uuid5(self.root, key))

    def obj(self, name: str, key: str, comment: str,
            attributes: Sequence[tuple[str, Any, dict[str, Any]]]) -> Any:
        from pymisp import MISPObject

        made = MISPObject(name, standalone=False)
        made.uuid = self.uuid(key)
        made.comment = comment
        made.timestamp = self.moment
        for relation, value, extra in attributes:
            if value in (None, ""):
                continue
            attribute = made.add_attribute(relation, value=value, **extra)
            if attribute is None:  # pymisp skips an empty value
                continue
            attribute.uuid = self.uuid(f"{key}/{relation}")
            attribute.timestamp = self.moment
        self.event.add_object(made)
        return made

    def attribute(self, type_: str, value: str, key: str, comment: str, *,
                  to_ids: bool = True) -> Any:
        return self.event.add_attribute(type_, value, comment=comment, to_ids=to_ids,
                                        uuid=self.uuid(key), timestamp=self.moment)

    def refer(self, source: Any, target_uuid: str, relationship: str, key: str) -> None:
        ref = source.add_reference(target_uuid, relationship)
        ref.uuid = self.uuid(key)
        ref.timestamp = self.moment

    def account(self, platform: str, login: str, user_id: str | None,
                link: str | None, key: str, comment: str) -> Any:
        return self.obj("user-account", key, comment, [
            ("username", login, {"to_ids": True}),
            ("user-id", user_id if user_id and user_id != login else None, {"to_ids": True}),
            ("account-type", platform, {}),
            ("link", link, {}),
        ])


def misp_event(spec: PackSpec, items: Sequence[PackItem]) -> str:
    """``misp.json``: the MISP event of the pack (``{"Event": {...}}``, keys sorted)."""
    builder = _Builder(spec)
    for item in items:
        _add_item(builder, spec, item)
    _force_timestamps(builder.event, builder.moment)
    return _dumps(builder.event)


def _dumps(event: Any) -> str:
    """``{"Event": ...}`` (the form MISP's "add event from JSON" and feeds take), keys
    sorted, with the standard library's encoder: the same text whether or not pymisp
    would use orjson.  One line per object of the event, not indented: an indent makes
    ``json`` use its pure-Python encoder, half of the event's time in a large pack."""
    from pymisp.abstract import pymisp_json_default

    return json.dumps({"Event": event}, default=pymisp_json_default, ensure_ascii=False,
                      sort_keys=True) + "\n"


def _add_item(builder: _Builder, spec: PackSpec, item: PackItem) -> None:
    """The item's objects: the screenshot's ``file`` object referencing the rest."""
    n = item.position
    label = f"Item {n} of pack {spec.ref} (capture #{item.capture_id})"
    file_obj = builder.obj("file", f"item/{n}/file", f"{label}: the screenshot", [
        ("filename", item.evidence_name.rsplit("/", 1)[-1], {"to_ids": False}),
        ("sha256", item.sha256, {"to_ids": True}),
        ("md5", item.md5 or None, {"to_ids": True}),
        ("size-in-bytes", item.size, {}),
        ("mimetype", _MEDIA_TYPES.get(item.format, "application/octet-stream"), {}),
        ("text", item.pdq, {"comment": "PDQ", "to_ids": False,
                             "disable_correlation": False}),
    ])
    if item.source_url:
        url = builder.obj("url", f"item/{n}/url", f"{label}: where the advert was seen",
                          [("url", item.source_url, {"to_ids": True})])
        builder.refer(file_obj, url.uuid, "screenshot-of", f"item/{n}/url/ref")
    accounts: set[tuple[str, str]] = set()
    if item.handle:
        accounts.add((spec.platform, item.handle.lower()))
        poster = builder.account(spec.platform, item.handle, item.account_id,
                                 item.profile_url, f"item/{n}/poster",
                                 f"{label}: the {spec.platform} account that posted it")
        builder.refer(file_obj, poster.uuid, "related-to", f"item/{n}/poster/ref")
    for ind in item.indicators:
        made = _add_indicator(builder, spec, item, ind, accounts, label)
        if made is not None:
            target, key = made
            builder.refer(file_obj, target, "mentions", f"{key}/ref")


def _add_indicator(builder: _Builder, spec: PackSpec, item: PackItem, ind: dict[str, Any],
                   accounts: set[tuple[str, str]], label: str) -> tuple[str, str] | None:
    """One confirmed indicator as a MISP object or attribute; (its UUID, its key)."""
    kind, value = ind.get("kind"), str(ind.get("normalized") or "")
    if not value or ind.get("status", "confirmed") != "confirmed":
        return None
    # The value hashed, so no value can make one key a prefix of another ("…/a" + "/url"
    # and "…/a/url"): every UUID in the event stays distinct.
    key = f"item/{item.position}/{kind}/{hashlib.sha256(value.encode('utf-8')).hexdigest()[:32]}"
    said = f"{label}: {kind} advertised"
    if kind == "url":
        return builder.obj("url", key, said, [("url", value, {"to_ids": True})]).uuid, key
    if kind == "email":
        return builder.attribute("email", value, key, said).uuid, key
    if kind == "phone":
        return builder.attribute("phone-number", value, key, said).uuid, key
    if kind in ("whatsapp", "telegram", "handle"):
        platform = (str(ind.get("platform") or spec.platform) if kind == "handle" else kind)
        if (platform, value.lower()) in accounts:
            return None
        accounts.add((platform, value.lower()))
        if kind == "whatsapp":
            made = builder.account(platform, value, None, None, key,
                                   f"{label}: WhatsApp number advertised")
        else:
            made = builder.account(platform, value, None, None, key,
                                   f"{label}: {platform} account advertised")
        return made.uuid, key
    if kind == "crypto":
        symbol, _, address = value.partition(":")
        if not address:
            symbol, address = "", value
        relation = "address" if symbol == _BTC else "address-crypto"
        made = builder.obj("coin-address", key, f"{label}: wallet advertised", [
            (relation, address, {"to_ids": True}), ("symbol", symbol or None, {})])
        return made.uuid, key
    if kind == "price":
        return builder.attribute("text", value, key, f"{label}: price advertised "
                                 f"(as written: {ind.get('value')})", to_ids=False).uuid, key
    return None


def _force_timestamps(event: Any, moment: datetime) -> None:
    """Every part keeps the pack's creation time (pymisp drops the timestamps of
    what it sees as edited unless told to keep them)."""
    parts: list[Any] = [event, *event.attributes]
    for obj in event.objects:
        parts += [obj, *obj.attributes, *obj.references]
    for part in parts:
        part.force_timestamp = True
        part.timestamp = moment
