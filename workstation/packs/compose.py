"""Composing and sealing alert packs (``ws.packs``): the request checked, the items
gathered (evidence, OCR, indicators, previews), the pack sealed into the outbox."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workstation import __version__
from workstation.context import Context
from workstation.crypto import signing
from workstation.errors import NotFound, WorkstationError
from workstation.evidence.captures import CaptureService
from workstation.evidence.thumbs import recorded_thumbnail, reduced_thumbnail
from workstation.models import Capture
from workstation.packs.contacts import ContactService
from workstation.packs.exporting import export_pack
from workstation.packs.format.members import make_preview, recipient_steps
from workstation.packs.format.policies import choose_basis, load_policies
from workstation.packs.format.report import report_html
from workstation.packs.format.sealing import seal
from workstation.packs.format.spec import (
    ACTIONS,
    PACK_SUFFIX,
    PRIORITIES,
    PackError,
    PackItem,
    PackRecipient,
    PackSpec,
    SealResult,
)
from workstation.packs.issuer import require_issuer
from workstation.packs.itemrequests import (
    ItemDefaults,
    check_item_requests,
    checked_requests,
    item_defaults,
    resolve,
)
from workstation.packs.keys import KeyService
from workstation.packs.leftovers import clean_stale_outputs
from workstation.packs.models import (
    SENT_STATES,
    Contact,
    ItemRequest,
    OutboxError,
    Pack,
    PackItemState,
    account_id_of,
    content_type_of,
    int_pack_setting,
    pack_setting,
    profile_url_of,
)
from workstation.packs.readiness import (
    ItemReadiness,
    item_readiness,
    platform_mismatch,
    split_reviewed,
)
from workstation.permissions import private_dir
from workstation.platforms import normalize_platform
from workstation.progress import CancelToken, ProgressCallback
from workstation.reading.indicators.model import LINK_KINDS
from workstation.reading.service import IndicatorRecord, ReadingService
from workstation.redaction.packitems import PackCopies
from workstation.storage.packs_repo import PacksRepo, dumps
from workstation.storage.repositories import CaptureRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timestamps.packing import pack_files
from workstation.timeutil import format_utc, utc_now

if TYPE_CHECKING:
    from workstation.timestamps.service import TimestampService

#: The most captures one pack holds (``pack build --captures`` refuses more up front).
MAX_PACK_ITEMS = 10_000


class PackService:
    """Packs: compose, preview, seal, list."""

    def __init__(self, ctx: Context, repo: PacksRepo, captures: CaptureService,
                 reading: ReadingService, keys: KeyService, contacts: ContactService,
                 *, timestamps: TimestampService | None = None) -> None:
        self._ctx = ctx
        self._timestamps = timestamps  # a sealed pack's SHA256SUMS is queued for stamping
        self._repo = repo
        self._captures = captures
        self._reading = reading
        self._keys = keys
        self._contacts = contacts

    def all(self, states: Iterable[str] | None = None) -> list[Pack]:
        return [self._pack(r) for r in self._repo.packs(states)]

    def get(self, ref: str) -> Pack:
        return self._pack(self.row(ref))

    def sent_capture_ids(self) -> set[int]:
        """Captures that are in at least one pack already sent to its platform."""
        return self._repo.captures_in_packs(SENT_STATES)

    def row(self, ref: str) -> sqlite3.Row:
        row = self._repo.pack_by_ref(ref.strip()) or self._repo.pack_by_ref(
            ref.strip().upper())
        if row is None:
            raise NotFound(f"There is no pack {ref!r}.", how="pack list")
        return row

    def file(self, ref: str) -> Path:
        row = self.row(ref)
        if not row["file_name"]:
            raise OutboxError(f"{row['ref']} has not been sealed.")
        return self._ctx.root / "outbox" / row["file_name"]

    def _pack(self, row: sqlite3.Row) -> Pack:
        items = tuple(PackItemState(r["capture_id"], r["position"], r["outcome"], r["outcome_at"],
                                    r["outcome_comment"], ItemRequest.from_json(r["request"]))
                      for r in self._repo.items(row["id"]))
        return Pack(
            row["id"], row["ref"], row["contact_id"], row["platform"], row["state"],
            row["priority"], row["action"], row["reason"], json.loads(row["basis"] or "{}"),
            row["created_at"], row["created_by"], row["sealed_at"], row["deadline_at"],
            str(self._ctx.root / "outbox" / row["file_name"]) if row["file_name"] else None,
            row["file_size"], row["file_sha256"], row["signing_key_id"],
            json.loads(row["recipients"] or "[]"), row["message_id"], row["transport"],
            row["destination"], row["attempts"], row["next_attempt_at"], row["last_error"],
            row["sent_at"], row["acknowledged_at"], row["closed_at"], items)

    def attempts(self, ref: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._repo.attempts(self.row(ref)["id"])]

    def _next_ref(self, created: datetime) -> str:
        prefix = pack_setting(self._ctx, "pack_ref_prefix")  # checked by the settings table
        if not re.fullmatch(r"[A-Za-z0-9-]{1,20}", prefix):
            raise PackError(f"pack_ref_prefix {prefix!r} must be letters, digits and '-'.")
        stem = f"{prefix}-{created.year}-"
        return f"{stem}{self._repo.max_sequence(stem) + 1:06d}"

    def build(
        self,
        contact_id: int,
        capture_ids: Sequence[int],
        *,
        reason: str = "",
        action: str = "remove",
        priority: str = "normal",
        basis: str | None = None,
        output: str | os.PathLike[str] | None = None,
        items: Mapping[int, ItemRequest] | None = None,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
        redacted: Iterable[int] = (),
    ) -> Pack:
        """Create, fill, sign, encrypt and record a pack (state ``sealed``).

        The pack is sealed once, into ``<workspace>/outbox/`` (the copy the outbox
        sends); ``output`` (a file, or a folder for ``REF.alertpack.age``) gets a
        copy of it (:meth:`_export`): a reflink or hard link where it can, else
        a copy read back and checked.

        ``items`` maps capture ids to their own requests (action, priority, deadline,
        policy; the pack's values are the defaults), and gives the reason an item a
        platform cannot find (no URL, no content id) goes anyway: without one it is
        refused (:mod:`workstation.packs.itemrequests`).  ``redacted``: captures that go as
        their current redacted copy (:mod:`workstation.redaction.packitems`).
        """
        require_issuer(self._ctx)  # never sealed under a borrowed or missing identity
        contact, captures, ids, reason = self._check_request(
            contact_id, capture_ids, reason=reason, action=action, priority=priority)
        sign_row = self._keys.current_key_row("signing")
        archive_row = self._keys.current_key_row("archive")
        chosen_basis = choose_basis(contact.platform, basis)
        created_dt = datetime.now(UTC).replace(microsecond=0)
        defaults = item_defaults(self._ctx, contact.platform, chosen_basis, created_dt,
                                 action=action, priority=priority)
        requests = checked_requests(items, captures, defaults)
        out_path = self._output_path(output)
        if out_path is not None:  # what a killed build left there
            clean_stale_outputs(out_path if out_path.is_dir() else out_path.parent)
        key = self._keys.signing_key()  # unlock before anything is written
        self._keys.reply_recipient()  # the return path: made on first need (keys.py)

        recipients = self._pack_recipients(contact, archive_row)
        copies = PackCopies(self._ctx, self._reading, captures, redacted)
        ref, pack_id = self._insert_draft(contact, ids, created_dt, chosen_basis,
                                          priority=priority, action=action, reason=reason,
                                          requests=requests, copies=copies)
        spec = self._pack_spec(ref, created_dt, contact, chosen_basis, recipients,
                               priority=priority, action=action, reason=reason,
                               signing_key_id=sign_row["key_id"])
        pack_items = copies.apply(self._pack_items(pack_id, captures, defaults, requests))
        if self._timestamps is not None:  # tokens covering the items (RFC 3161), if any
            spec.timestamp_files = tuple(pack_files(self._timestamps, ids))
        if out_path is not None and out_path.is_dir():
            out_path = out_path / spec.file_name
        result = self._seal_files(pack_id, spec, pack_items, key, out_path,
                                  cancel=cancel, progress=progress)
        copied = self._export(pack_id, spec, result, out_path)
        self._record_sealed(pack_id, spec, pack_items, captures, recipients, key, result, out_path,
                            copied)
        return self.get(ref)

    def _insert_draft(self, contact: Contact, ids: list[int], created_dt: datetime,
                      chosen_basis: dict[str, Any], *, priority: str, action: str,
                      reason: str, requests: Mapping[int, ItemRequest],
                      copies: PackCopies | None = None) -> tuple[str, int]:
        """Record the pack as a ``draft`` with its items and audit it; return (ref, id)."""
        with self._ctx.write():
            ref = self._next_ref(created_dt)
            pack_id = self._repo.insert_pack({
                "ref": ref, "contact_id": contact.id, "platform": contact.platform,
                "state": "draft", "priority": priority, "action": action, "reason": reason,
                "basis": dumps(chosen_basis), "created_at": format_utc(created_dt),
                "created_by": self._ctx.analyst,
            })
            stored = {cid: r.to_json() for cid, r in requests.items()}
            self._repo.insert_items(pack_id, ids, stored)
            redacted = copies.record(pack_id) if copies is not None else {}
            self._ctx.audit.append(self._ctx.analyst, "pack.create", f"pack:{ref}", {
                "ref": ref, "contact_id": contact.id, "platform": contact.platform,
                "captures": ids, "action": action, "priority": priority, "reason": reason,
                "basis": chosen_basis.get("id"),
                # per item, what differs from the above, and why an item a platform
                # cannot find (no URL, no content id) was sent anyway
                "item_requests": {str(cid): r for cid, r in stored.items()},
                **({"redacted": redacted} if redacted else {}),  # capture -> redaction id
            })
        return ref, pack_id

    def _seal_files(self, pack_id: int, spec: PackSpec, items: list[PackItem],
                    key: signing.SigningKey, out_path: Path | None, *,
                    cancel: CancelToken | None, progress: ProgressCallback | None,
                    ) -> SealResult:
        """Seal into the outbox, once (``out_path``, when given, must not exist yet: it
        gets a copy afterwards); a failure is noted on the pack."""
        try:
            if out_path is not None and (out_path.exists() or out_path.is_symlink()):
                raise PackError(f"{os.fspath(out_path)!r} already exists; the pack is not "
                                "written over it.")
            # the outbox's copy: read-only, its owner's only; written once
            return seal(spec, items, key, [self._outbox() / spec.file_name], modes=[0o400],
                        cancel=cancel, progress=progress, vault=self._ctx.vault)
        except BaseException as exc:
            message = str(exc) if isinstance(exc, WorkstationError) else type(exc).__name__
            with self._ctx.write():
                self._repo.update_pack(pack_id, {"last_error": message[:500]})
            raise

    def _export(self, pack_id: int, spec: PackSpec, result: SealResult,
                out_path: Path | None) -> str | None:
        """Copy the sealed pack to ``out_path`` (:mod:`workstation.packs.exporting`: a
        reflink, hard link or checked copy); return how, ``None`` without ``out_path``.
        On failure the outbox's copy goes too (the pack stays a draft) and the error,
        noted on the pack, is raised."""
        if out_path is None:
            return None
        sealed = self._ctx.root / "outbox" / spec.file_name  # not _outbox(): still a draft
        try:
            return export_pack(sealed, out_path, result.sha256)
        except BaseException as exc:
            sealed.unlink(missing_ok=True)
            message = str(exc) if isinstance(exc, WorkstationError) else type(exc).__name__
            with self._ctx.write():
                self._repo.update_pack(pack_id, {"last_error": message[:500]})
            raise

    def _record_sealed(self, pack_id: int, spec: PackSpec, items: list[PackItem],
                       captures: list[Capture], recipients: list[PackRecipient],
                       key: signing.SigningKey, result: SealResult,
                       out_path: Path | None, copied: str | None = None) -> None:
        """Mark the pack ``sealed``, index its link indicators and audit the seal."""
        ref = spec.ref
        deadline = spec.deadline_at
        pairs = sorted({(i["kind"], i["normalized"]) for item in items
                        for i in item.indicators if i["kind"] in LINK_KINDS})
        with self._ctx.write():
            self._repo.update_pack(pack_id, {
                "state": "sealed", "sealed_at": utc_now(), "deadline_at": deadline,
                "file_name": spec.file_name, "file_size": result.size,
                "file_sha256": result.sha256, "manifest_sha256": result.manifest_sha256,
                "sums_sha256": result.sums_sha256, "signing_key_id": key.key_id_hex,
                "recipients": dumps([r.to_dict() for r in recipients]), "last_error": None,
            })
            self._repo.add_pack_indicators(pack_id, pairs)
            self._ctx.audit.append(self._ctx.analyst, "pack.seal", f"pack:{ref}", {
                "ref": ref, "file": spec.file_name, "size": result.size,
                "sha256": result.sha256, "manifest_sha256": result.manifest_sha256,
                "sha256sums_sha256": result.sums_sha256, "signing_key_id": key.key_id_hex,
                "recipients": [r.fingerprint for r in recipients],
                "captures": [{"id": c.id, "sha256": c.sha256} for c in captures],
                "deadline": deadline, "copy": os.fspath(out_path) if out_path else None,
                "copy_method": copied,  # reflink | hardlink | copy (sealed once, then copied)
                # what went out as indicators, and what was listed apart as unconfirmed
                "indicators": sum(len(item.indicators) for item in items),
                "unconfirmed": sum(len(item.unconfirmed) for item in items),
            })
            if self._timestamps is not None:
                self._timestamps.queue_in_transaction("pack", f"pack:{pack_id}",
                                                      result.sums_sha256)

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
        if len(ids) > MAX_PACK_ITEMS:
            raise PackError(f"A pack holds at most {MAX_PACK_ITEMS:,} captures, not "
                            f"{len(ids):,}; split them over several packs.")
        contact = self._contacts.trusted(contact_id)
        if not contact.recipients:
            raise PackError(f"Contact #{contact.id} has no recipient key.")
        captures = [self._captures.get(i) for i in ids]
        for c in captures:
            if platform_mismatch(c.platform, contact.platform):
                raise PackError(
                    f"Capture #{c.id} is from {c.platform} but contact #{contact.id} is for "
                    f"{contact.platform}: a pack goes to one platform. Leave #{c.id} out or "
                    "correct its platform ({how}).", how="edit")
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
        hours = int_pack_setting(self._ctx, f"deadline_hours_{priority}")
        return PackSpec(
            ref=ref, created_at=format_utc(created_dt),
            agency=pack_setting(self._ctx, "agency_name"),
            unit=pack_setting(self._ctx, "issuing_unit"), analyst=self._ctx.analyst,
            contact_24x7={"name": pack_setting(self._ctx, "contact_24x7_name"),
                          "phone": pack_setting(self._ctx, "contact_24x7_phone"),
                          "email": pack_setting(self._ctx, "contact_24x7_email")},
            platform=contact.platform, operator=str(basis.get("operator", "")),
            contact={"id": contact.id, "name": contact.name,
                     "organisation": contact.organisation, "role": contact.role,
                     "email": contact.email, "verified": contact.verified},
            recipients=recipients, basis=basis,
            handling=pack_setting(self._ctx, "handling_marking"), priority=priority, action=action,
            reason=reason, preserve_days=int_pack_setting(self._ctx, "preservation_days"),
            deadline_at=format_utc(created_dt + timedelta(hours=hours)),
            signing_key_id=signing_key_id, app_version=__version__,
            signing_fingerprint=(self._keys.signing_fingerprint(signing_key_id)
                                 if signing_key_id else ""),
            reply_to=self._ctx.setting("reply_to"),  # where outcomes go (required)
            reply_recipient=self._keys.reply_recipient(create=False),  # encrypt them to it
            audit_head=self._audit_head(),
        )

    def _audit_head(self) -> dict[str, Any] | None:
        """The audit head at sealing (the pack's ``pack.create`` entry), recorded in the
        manifest so that a later rollback of the workspace below it is provable."""
        head = self._ctx.audit.head()
        return None if head is None else head.to_dict()

    def readiness(self, capture_ids: Sequence[int],
                  contact_id: int | None) -> list[ItemReadiness]:
        """Each capture as the composer lists it, with what stands in the way of sending
        it to the contact (:mod:`workstation.packs.readiness`); read-only."""
        platform = self._contacts.get(contact_id).platform if contact_id is not None else None
        result = []
        for capture in self._captures.by_ids(capture_ids):
            confirmed, unconfirmed = split_reviewed(self._reading.indicators(capture.id))
            result.append(item_readiness(capture, platform, len(confirmed),
                                         self._reading.current_ocr(capture.id) is not None,
                                         len(unconfirmed)))
        order = {capture_id: n for n, capture_id in enumerate(capture_ids)}
        return sorted(result, key=lambda r: order.get(r.capture_id, len(order)))

    def policies(self, platform: str) -> list[dict[str, Any]]:
        """The terms clauses a pack to ``platform`` may cite (the default first), then
        the legal basis (id ``legal``)."""
        entries = [dict(e) for e in load_policies(normalize_platform(platform) or platform)
                   .get("policies", [])]
        entries.sort(key=lambda e: not e.get("default"))
        legal = choose_basis(platform, "legal")
        legal["id"] = "legal"
        return [*entries, legal]

    def preview(
        self,
        contact_id: int,
        capture_ids: Sequence[int],
        *,
        reason: str = "",
        action: str = "remove",
        priority: str = "normal",
        basis: str | None = None,
        items: Mapping[int, ItemRequest] | None = None,
        redacted: Iterable[int] = (),
    ) -> str:
        """The ``report.html`` that a pack with these choices would carry, before sealing
        (reference ``PREVIEW``; nothing is written; ``redacted`` as for :meth:`build`)."""
        contact, captures, ids, reason = self._check_request(
            contact_id, capture_ids, reason=reason, action=action, priority=priority)
        chosen_basis = choose_basis(contact.platform, basis)
        created_dt = datetime.now(UTC).replace(microsecond=0)
        defaults = item_defaults(self._ctx, contact.platform, chosen_basis, created_dt,
                                 action=action, priority=priority)
        requests = check_item_requests(items, ids, defaults)
        sign_row = self._repo.current_key("signing")
        spec = self._pack_spec(
            "PREVIEW", created_dt, contact, chosen_basis,
            self._pack_recipients(contact, self._repo.current_key("archive")),
            priority=priority, action=action, reason=reason,
            signing_key_id=sign_row["key_id"] if sign_row is not None else "")
        pack_items = PackCopies(self._ctx, self._reading, captures, redacted).apply(
            self._pack_items(0, captures, defaults, requests))
        return b"".join(report_html(spec, pack_items)).decode("utf-8")

    def _outbox(self) -> Path:
        """``<workspace>/outbox``, cleared of what an interrupted seal left (we hold the lock):
        temporary files, and the sealed file of a build killed before its seal was recorded
        (its pack is still a draft, which is never sent)."""
        outbox = self._ctx.root / "outbox"
        private_dir(outbox)
        for draft in self._repo.packs(["draft"]):
            (outbox / f"{draft['ref']}{PACK_SUFFIX}").unlink(missing_ok=True)
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
        if path.is_dir():  # REF.alertpack.age in it, once REF is known
            return path
        if path.exists() or path.is_symlink():
            raise PackError(f"{os.fspath(path)!r} already exists; choose another file name.")
        if not path.parent.is_dir():
            raise PackError(f"The folder {os.fspath(path.parent)!r} does not exist.")
        return path

    def _pack_items(self, pack_id: int, captures: Sequence[Capture], defaults: ItemDefaults,
                    requests: Mapping[int, ItemRequest]) -> list[PackItem]:
        reviewed = {c.id: split_reviewed(self._reading.indicators(c.id)) for c in captures}
        pairs = [(i.kind, i.normalized) for confirmed, unconfirmed in reviewed.values()
                 for i in (*confirmed, *unconfirmed) if i.kind in LINK_KINDS]
        prior = self._repo.prior_refs(pairs, pack_id)
        thumbnails = CaptureRepo(self._ctx.conn).thumbnail_hashes(c.id for c in captures)
        full = pack_setting(self._ctx, "report_preview") == "full"
        items: list[PackItem] = []
        for position, c in enumerate(captures, start=1):
            run = self._reading.current_ocr(c.id)
            pdq = self._reading.pdq_of(c.id)
            confirmed, unconfirmed = reviewed[c.id]
            indicators = [_indicator_entry(i, c, prior) for i in confirmed]
            pending = [_indicator_entry(i, c, prior) for i in unconfirmed]
            refs = {ref for entry in (*indicators, *pending) for ref in entry["prior_packs"]}
            path = self._ctx.store.path_for(c.sha256)
            asked = resolve(requests.get(c.id), defaults)
            items.append(PackItem(
                position=position, capture_id=c.id, evidence_path=path, sha256=c.sha256,
                md5=c.md5, size=c.size, format=c.format, width=c.width, height=c.height,
                observed_at=c.captured_at, observed_at_source=c.captured_at_source,
                policy=asked.policy, source_url=c.source_url, content_id=c.content_id,
                content_type=content_type_of(c.source_url, c.platform), handle=c.handle,
                profile_url=profile_url_of(c.platform, c.handle),
                account_id=account_id_of(c.platform, c.handle),
                languages=_split_languages(run.advert_languages) if run else [],
                indicators=indicators, unconfirmed=pending, pdq=pdq[0] if pdq else None,
                pdq_quality=pdq[1] if pdq else None,
                ocr_text=run.text if run else None,
                ocr_engine=f"{run.engine} {run.engine_version}".strip() if run else None,
                ocr_confidence=run.confidence if run else None,
                ocr_models=_split_languages(run.languages) if run else [],
                ocr_coverage=run.coverage if run else None,
                ocr_unread=[list(b) for b in run.unread] if run else [],
                prior_refs=sorted(refs),
                preview=self._preview_maker(c, thumbnails.get(c.id), full),
                action=asked.action, priority=asked.priority, deadline_utc=asked.deadline_utc,
                no_locator_reason=asked.no_locator_reason,
                policy_basis=(choose_basis(defaults.platform, asked.policy)
                              if asked.policy != defaults.policy else None),
            ))
        return items

    def _preview_maker(self, capture: Capture, thumbnail_sha256: str | None,
                       full: bool) -> Callable[[], bytes | None]:
        """The report's picture of a capture: the gallery's cached thumbnail when its bytes
        match the SHA-256 recorded when the import made it (``thumbnail_sha256``), else a
        thumbnail made from the verified original; or with ``config report_preview full``
        a larger preview decoded from the verified original.  Runs in a worker thread:
        no SQL here (the recorded hash is read beforehand)."""

        def make() -> bytes | None:
            data = None
            try:  # a preview is a courtesy: the sealing stream checks the original itself
                if not full:
                    data = recorded_thumbnail(self._ctx, capture.sha256, thumbnail_sha256)
                    if data is not None:
                        return data
                original = self._ctx.store.read_verified(capture.sha256)
                if full:
                    with contextlib.suppress(Exception):
                        data = make_preview(io.BytesIO(original))
                return data or reduced_thumbnail(original, capture.width * capture.height + 1)
            except Exception:
                return None

        return make

    def cover_note(self, ref: str) -> str:
        """The plain-text instructions that travel beside a pack (mail body, README)."""
        row = self.row(ref)
        contact = self._contacts.get(row["contact_id"])
        recipients = json.loads(row["recipients"] or "[]")
        spec = PackSpec(
            ref=row["ref"], created_at=row["created_at"],
            agency=pack_setting(self._ctx, "agency_name"),
            unit=pack_setting(self._ctx, "issuing_unit"), analyst=row["created_by"],
            contact_24x7={"name": pack_setting(self._ctx, "contact_24x7_name"),
                          "phone": pack_setting(self._ctx, "contact_24x7_phone"),
                          "email": pack_setting(self._ctx, "contact_24x7_email")},
            platform=row["platform"], operator="", contact={"name": contact.name},
            recipients=[PackRecipient(r["recipient"], r["kind"], r["fingerprint"], r["role"])
                        for r in recipients],
            basis=json.loads(row["basis"] or "{}"),
            handling=pack_setting(self._ctx, "handling_marking"), priority=row["priority"],
            action=row["action"], reason=row["reason"],
            preserve_days=int_pack_setting(self._ctx, "preservation_days"),
            deadline_at=row["deadline_at"] or "", signing_key_id=row["signing_key_id"] or "",
            signing_fingerprint=(self._keys.signing_fingerprint(row["signing_key_id"])
                                 if row["signing_key_id"] else ""),
            app_version=__version__, reply_to=self._ctx.setting("reply_to"),
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
            "Please answer with the filled-in outcome-template.csv from inside the pack, "
            "encrypted to our reply key as its README.txt shows (HOW TO ANSWER).",
            f"24/7 contact: {c24['name']} {c24['phone']} {c24['email']}".rstrip(), "",
            spec.handling,
        ]
        return "\n".join(lines) + "\n"


def _split_languages(joined: str) -> list[str]:
    """``"fas+eng"`` as ``["fas", "eng"]`` (``"?"``, an unknown model, dropped)."""
    return [lang for lang in joined.split("+") if lang and lang != "?"]


def _indicator_entry(ind: IndicatorRecord, capture: Capture,
                     prior: dict[tuple[str, str], list[str]]) -> dict[str, Any]:
    """One indicator as the manifest lists it.  A handle says which platform it is on:
    the one its text names ("Instagram: @x" in a Facebook post), else the capture's.
    One not confirmed is marked ``unconfirmed``, with why the analyst should check it."""
    entry: dict[str, Any] = {
        "kind": ind.kind, "value": ind.value, "normalized": ind.normalized,
        "source": ind.source,
        "platform": ind.platform or (capture.platform if ind.kind == "handle" else None),
        "status": "confirmed" if ind.status == "confirmed" else "unconfirmed",
    }
    if ind.status != "confirmed":
        entry["attention"] = ind.attention
        entry["confidence"] = ind.confidence
    entry["prior_packs"] = prior.get((ind.kind, ind.normalized), [])
    return entry
