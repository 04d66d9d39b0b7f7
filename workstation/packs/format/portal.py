"""``portal.csv``: one plain row per item for platforms that take law-enforcement
referrals through their own web forms -- the URL, content id, account, policy and
what is asked (action, priority, deadline) -- in the pack, and, tab-separated, on the
clipboard from the outbox ("Copy for web form"): the same rows both ways."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from typing import Any

from workstation.packs.format.members import csv_cell
from workstation.packs.format.spec import PackItem, PackSpec

PORTAL_FIELDS = ("pack_ref", "item", "capture_id", "url", "content_id", "account",
                 "account_url", "policy", "requested_action", "priority", "deadline_utc")


@dataclass(frozen=True, slots=True)
class PortalRow:
    """One item as a web form asks for it (fields in :data:`PORTAL_FIELDS` order)."""

    pack_ref: str
    item: int
    capture_id: int
    url: str
    content_id: str
    account: str
    account_url: str
    policy: str
    requested_action: str
    priority: str
    deadline_utc: str

    def cells(self) -> list[str]:
        return ["" if v is None else str(v) for v in astuple(self)]


def policy_label(policy_id: str, basis: dict[str, Any] | None) -> str:
    """``Human Exploitation (tiktok-human-exploitation)``: the clause's title, which a
    form's list shows, with its id; the id alone when the title is not known."""
    if basis and basis.get("id") == policy_id and basis.get("title"):
        return f"{basis['title']} ({policy_id})"
    return policy_id


def _item_value(item: object, name: str, default: str) -> str:
    """The item's own request field (format version 2), else the pack's."""
    value = getattr(item, name, None)
    return str(value) if value else default


def portal_rows(spec: PackSpec, items: Sequence[PackItem]) -> list[PortalRow]:
    """The rows of ``portal.csv`` for a pack being sealed."""
    rows = []
    for item in items:
        basis = getattr(item, "policy_basis", None) or spec.basis
        rows.append(PortalRow(
            pack_ref=spec.ref, item=item.position, capture_id=item.capture_id,
            url=item.source_url or "", content_id=item.content_id or "",
            account=item.handle or "", account_url=item.profile_url or "",
            policy=policy_label(item.policy, basis),
            requested_action=_item_value(item, "action", spec.action),
            priority=_item_value(item, "priority", spec.priority),
            deadline_utc=_item_value(item, "deadline_utc", spec.deadline_at)))
    return rows


def portal_csv(rows: Iterable[PortalRow]) -> bytes:
    """``portal.csv``: a header row, then one row per item (cells escaped as in
    ``indicators.csv``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PORTAL_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row.cells()])
    return out.getvalue().encode("utf-8")


def portal_tsv(rows: Iterable[PortalRow], *, header: bool = True) -> str:
    """The same rows tab-separated, for the clipboard: a form field is pasted from a
    cell, so tabs and line breaks inside a value become spaces.  Values are as they are
    (no formula escaping: a web form's field is not a spreadsheet, and a YouTube id
    such as ``-dQw4w9WgXcQ`` must arrive unchanged)."""
    lines = [list(PORTAL_FIELDS)] if header else []
    lines += [[" ".join(v.split()) for v in row.cells()] for row in rows]
    return "\n".join("\t".join(cells) for cells in lines) + "\n"


def sealed_pack_rows(pack: Any, captures: Sequence[Any]) -> list[PortalRow]:
    """The rows of a pack already sealed (a :class:`~workstation.packs.models.Pack`),
    from its record and its captures (:class:`~workstation.models.Capture`, any
    order): what "Copy for web form" puts on the clipboard."""
    from workstation.packs.format.policies import choose_basis
    from workstation.packs.format.spec import PackError
    from workstation.packs.models import profile_url_of

    by_id = {c.id: c for c in captures}
    default_policy = str(pack.basis.get("id") or "")
    rows = []
    for state in sorted(pack.items, key=lambda s: s.position):
        capture = by_id.get(state.capture_id)
        request = getattr(state, "request", None)
        policy = getattr(request, "policy", None) or default_policy
        basis = pack.basis
        if policy != default_policy:
            try:
                basis = choose_basis(pack.platform, policy)
            except PackError:
                basis = None
        handle = getattr(capture, "handle", None) or ""
        rows.append(PortalRow(
            pack_ref=pack.ref, item=state.position, capture_id=state.capture_id,
            url=getattr(capture, "source_url", None) or "",
            content_id=getattr(capture, "content_id", None) or "",
            account=handle, account_url=profile_url_of(
                getattr(capture, "platform", None) or pack.platform, handle) or "",
            policy=policy_label(policy, basis),
            requested_action=_item_value(request, "action", pack.action),
            priority=_item_value(request, "priority", pack.priority),
            deadline_utc=_item_value(request, "deadline", pack.deadline_at or "")))
    return rows
