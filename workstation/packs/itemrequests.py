"""Per-item requests of an alert pack: each item's action, priority, deadline and policy
(the pack's values are the defaults), checked before anything is written; and the rule
that an item a platform cannot find (no URL and no content id) goes only with the
analyst's reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from workstation.context import Context
from workstation.models import Capture
from workstation.packs.format.policies import choose_basis
from workstation.packs.format.spec import ACTIONS, PRIORITIES, PackError
from workstation.packs.models import ItemRequest, int_pack_setting, parse_time
from workstation.packs.readiness import has_locator
from workstation.timeutil import format_utc, parse_iso


@dataclass(frozen=True, slots=True)
class ItemDefaults:
    """The pack's own values, which an item's request overrides."""

    platform: str        # the contact's platform (its policy table)
    action: str
    priority: str
    policy: str          # the basis id the pack cites ("legal" for the legal basis)
    deadline: str        # the pack's deadline (ISO UTC)
    created: datetime    # when the pack is made (deadlines of other priorities)
    deadline_hours: Mapping[str, int] = field(default_factory=dict)  # per priority


@dataclass(frozen=True, slots=True)
class ResolvedRequest:
    """What an item asks in the end (its request over the pack's defaults)."""

    action: str
    priority: str
    deadline_utc: str
    policy: str
    no_locator_reason: str | None = None


def item_defaults(ctx: Context, platform: str, basis: dict[str, Any], created: datetime, *,
                  action: str, priority: str) -> ItemDefaults:
    """The pack's values an item's request overrides (deadlines from the settings)."""
    hours = {p: int_pack_setting(ctx, f"deadline_hours_{p}") for p in PRIORITIES}
    return ItemDefaults(platform=platform, action=action, priority=priority,
                        policy=str(basis.get("id")),
                        deadline=format_utc(created + timedelta(hours=hours[priority])),
                        created=created, deadline_hours=hours)


def checked_requests(requests: Mapping[int, ItemRequest] | None, captures: Sequence[Capture],
                     defaults: ItemDefaults) -> dict[int, ItemRequest]:
    """The items' requests for sealing: checked (:func:`check_item_requests`), every
    item a platform cannot find given a reason (:func:`check_locators`), and reasons
    dropped where an item has a URL or content id."""
    checked = check_item_requests(requests, [c.id for c in captures], defaults)
    check_locators(captures, checked)
    return drop_needless_reasons(captures, checked)


def check_item_requests(requests: Mapping[int, ItemRequest] | None, ids: Sequence[int],
                        defaults: ItemDefaults) -> dict[int, ItemRequest]:
    """``requests`` checked and reduced to what differs from the pack's ``defaults``
    (the stored form); a bad one is refused with one line naming the item."""
    requests = dict(requests or {})
    strangers = sorted(set(requests) - set(ids))
    if strangers:
        raise PackError(f"An item request names {_ids(strangers, 'which is', 'which are')} "
                        "not in the pack; add it to the captures or drop the request.")
    checked: dict[int, ItemRequest] = {}
    for capture_id, request in requests.items():
        what = f"Capture #{capture_id}"
        if request.action is not None and request.action not in ACTIONS:
            raise PackError(f"{what}: unknown action {request.action!r}; choose one of "
                            f"{', '.join(ACTIONS)}.")
        if request.priority is not None and request.priority not in PRIORITIES:
            raise PackError(f"{what}: unknown priority {request.priority!r}; choose normal "
                            "or urgent.")
        deadline = None
        if request.deadline is not None:
            try:
                deadline = parse_iso(request.deadline)
            except ValueError:
                raise PackError(f"{what}: deadline {request.deadline!r} is not a time "
                                "(ISO 8601, e.g. 2026-12-06T12:00Z).") from None
            if parse_time(deadline) <= defaults.created:
                raise PackError(f"{what}: deadline {deadline} is already past.")
        if request.policy is not None and request.policy != defaults.policy:
            try:
                choose_basis(defaults.platform, request.policy)
            except PackError as exc:
                raise PackError(f"{what}: {exc}") from None
        reason = " ".join((request.no_locator_reason or "").split()) or None
        if reason is not None and len(reason) > 500:
            raise PackError(f"{what}: the reason is too long (at most 500 characters).")
        # The deadline is stored whenever it is not the pack's: given, or worked out from
        # the item's own priority (so the sealed pack, its record and "Copy for web form"
        # all read the same time, and one typed equal to the pack's is kept as typed).
        priority = request.priority or defaults.priority
        own_priority = priority != defaults.priority
        if deadline is None and own_priority:
            deadline = format_utc(defaults.created
                                  + timedelta(hours=defaults.deadline_hours[priority]))
        differs = ItemRequest(
            action=request.action if request.action != defaults.action else None,
            priority=request.priority if own_priority else None,
            deadline=deadline if deadline != defaults.deadline or own_priority else None,
            policy=request.policy if request.policy != defaults.policy else None,
            no_locator_reason=reason)
        if differs.to_json():
            checked[capture_id] = differs
    return checked


def check_locators(captures: Sequence[Capture], requests: Mapping[int, ItemRequest]) -> None:
    """Refuse captures a platform cannot find (no URL, no content id) unless the
    analyst gave a reason for each; one line naming them."""
    missing = [c.id for c in captures if not has_locator(c)
               and not (requests.get(c.id) or ItemRequest()).no_locator_reason]
    if missing:
        what = f"{_ids(missing, 'has', 'have').capitalize()} no URL and no content id"
        raise PackError(
            f"{what}: a platform cannot find it. Add one (workstation edit ID --url URL) or "
            "give a reason to send it anyway (--allow-no-url ID:REASON).",
            window=f"{what}: a platform cannot find it. Add one (Evidence → Edit details…) "
                   "or give a reason to send it anyway (F2 on the item in the composer).")


def drop_needless_reasons(captures: Sequence[Capture],
                          requests: Mapping[int, ItemRequest]) -> dict[int, ItemRequest]:
    """``requests`` without a no-locator reason where the item has a URL or content id."""
    out: dict[int, ItemRequest] = {}
    for c in captures:
        request = requests.get(c.id)
        if request is None:
            continue
        if request.no_locator_reason and has_locator(c):
            request = replace(request, no_locator_reason=None)
        if request.to_json():
            out[c.id] = request
    return out


def resolve(request: ItemRequest | None, defaults: ItemDefaults) -> ResolvedRequest:
    """An item's request over the pack's defaults.  Its deadline: its own, else the
    pack's (or, when its priority differs, the pack's time plus that priority's hours)."""
    request = request or ItemRequest()
    priority = request.priority or defaults.priority
    if request.deadline:
        deadline = request.deadline
    elif priority != defaults.priority:
        deadline = format_utc(defaults.created + timedelta(hours=defaults.deadline_hours[priority]))
    else:
        deadline = defaults.deadline
    return ResolvedRequest(action=request.action or defaults.action, priority=priority,
                           deadline_utc=deadline, policy=request.policy or defaults.policy,
                           no_locator_reason=request.no_locator_reason)


def _ids(ids: Sequence[int], one: str, many: str) -> str:
    """``capture #3 has`` / ``captures #3, #5 have`` (at most 20 named)."""
    shown = ", ".join(f"#{i}" for i in ids[:20])
    shown += f" and {len(ids) - 20} more" if len(ids) > 20 else ""
    return f"capture {shown} {one}" if len(ids) == 1 else f"captures {shown} {many}"
