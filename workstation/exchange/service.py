"""``ws.exchange``: giving a case to colleagues and taking theirs in (docs/case-exchange.md).

``export_case`` gathers the case's records (:mod:`~workstation.exchange.records`), describes
them in CASE/UCO (:mod:`~workstation.exchange.caseuco`) and writes the signed, encrypted
bundle (:mod:`~workstation.exchange.bundle`), audited (``case.export``).
``import_case`` opens and verifies a bundle whole (:mod:`~workstation.exchange.opening`)
before merging it (:mod:`~workstation.exchange.merge`)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workstation.context import Context
from workstation.crypto.age import load_identities
from workstation.errors import WorkstationError
from workstation.exchange.bundle import SUFFIX, BundleRecipient, BundleResult, write_bundle
from workstation.exchange.caseuco import case_uco_document
from workstation.exchange.colleagues import ColleagueService
from workstation.exchange.merge import Merger, MergeSummary
from workstation.exchange.opening import open_bundle
from workstation.exchange.records import Gatherer
from workstation.packs.format.spec import compact_fingerprint
from workstation.packs.keys import KeyService
from workstation.packs.trail import key_fingerprint
from workstation.progress import CancelToken, ProgressCallback
from workstation.storage.exchange_repo import ExchangeRepo
from workstation.storage.repositories import CaptureRepo


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A written bundle."""

    path: str
    case: str
    captures: int
    size: int
    sha256: str
    members: int
    evidence_bytes: int
    recipients: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_name(case: str) -> str:
    """A file name for the case's bundle."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in case).strip("-")
    return f"{safe or 'case'}{SUFFIX}"


class CaseExchange:
    """Case bundles: export, import, and what was imported."""

    def __init__(self, ctx: Context, repo: ExchangeRepo, captures_repo: CaptureRepo,
                 gatherer: Gatherer, merger: Merger, keys: KeyService,
                 colleagues: ColleagueService, cases: Any) -> None:
        self._ctx = ctx
        self._repo = repo
        self._captures = captures_repo
        self._gatherer = gatherer
        self._merger = merger
        self._keys = keys
        self._colleagues = colleagues
        self._cases = cases

    # ------------------------------------------------------------------- export
    def recipients_for(self, colleague_ids: list[int]) -> list[BundleRecipient]:
        """The chosen colleagues' recipients, then this workspace's own archive key."""
        if not colleague_ids:
            raise WorkstationError("Name at least one colleague to send the case to "
                                   "(--to ID; list them with {how}).", how="colleague list")
        chosen = self._colleagues.get_many(colleague_ids)
        own = self._keys.archive_recipient()
        found = [BundleRecipient(c.recipient, compact_fingerprint(key_fingerprint(c.recipient)),
                                 "colleague", c.name) for c in chosen]
        found.append(BundleRecipient(own, compact_fingerprint(key_fingerprint(own)),
                                     "archive", self._ctx.analyst))
        return found

    def export_case(self, name: str, output: str | os.PathLike[str],
                    colleague_ids: list[int], *, cancel: CancelToken | None = None,
                    progress: ProgressCallback | None = None) -> ExportResult:
        """Write case ``name`` as a bundle for ``colleague_ids`` at ``output`` (a file, or
        a folder to write ``<case>.casebundle.age`` into); refuses to overwrite."""
        self._ctx.check_writable()  # the export is audited
        case = self._cases.get(name)
        dest = Path(output).expanduser()
        if dest.is_dir():
            dest = dest / default_name(case.name)
        if dest.exists():
            raise WorkstationError(f"{dest} already exists; nothing was written.")
        if not dest.parent.is_dir():
            raise WorkstationError(f"The folder {dest.parent} does not exist; nothing was "
                                   "written.")
        recipients = self.recipients_for(colleague_ids)
        key = self._keys.signing_key()
        captures = self._captures.select(case_id=case.id)
        gathered = self._gatherer.gather(case, captures, key.key_id_hex)
        jsonld = case_uco_document(gathered.records)
        result: BundleResult = write_bundle(gathered, jsonld, key, recipients, dest,
                                            cancel=cancel, progress=progress,
                                            vault=self._ctx.vault)
        try:
            with self._ctx.write():
                self._ctx.audit.append(self._ctx.analyst, "case.export", f"case:{case.id}", {
                    "file": dest.name, "size": result.size, "sha256": result.sha256,
                    "captures": [c.sha256 for c in captures],
                    "recipients": [{"fingerprint": r.fingerprint, "role": r.role,
                                    "name": r.name} for r in recipients],
                    "signing_key_id": key.key_id_hex,
                    "audit_head": gathered.records["workspace"]["audit_head"]})
        except BaseException:
            dest.unlink(missing_ok=True)  # no bundle out that the trail does not record
            raise
        return ExportResult(str(dest), case.name, len(captures), result.size, result.sha256,
                            result.members, result.evidence_bytes,
                            [{"name": r.name, "fingerprint": r.fingerprint, "role": r.role}
                             for r in recipients])

    # ------------------------------------------------------------------- import
    def import_case(self, path: str | os.PathLike[str], *,
                    cancel: CancelToken | None = None,
                    progress: ProgressCallback | None = None) -> MergeSummary:
        """Verify the bundle at ``path`` whole, then merge it (see
        :mod:`workstation.exchange.merge`); a bundle that fails a check raises
        :class:`~workstation.exchange.opening.BundleRefused` and changes nothing."""
        self._ctx.check_writable()
        own = self._keys.archive_recipient()
        mine = {compact_fingerprint(key_fingerprint(own))}
        identities = [self._keys.archive_identity()]
        signers: dict[str, Any] = {}

        def trusted(key_id: str) -> Any:
            colleague = self._colleagues.by_minisign_id(key_id)
            if colleague is None:
                return None
            signers[key_id] = colleague
            return colleague.public_key()

        opened = open_bundle(path, load_identities(identities), mine, trusted,
                             scratch=self._ctx.store.tmp, cancel=cancel, progress=progress)
        try:
            colleague = signers[opened.signer_key_id]
            return self._merger.merge(opened, (colleague.id, colleague.name), cancel=cancel,
                                      progress=progress)
        finally:
            opened.close()

    def imports(self, case: str | None = None) -> list[dict[str, Any]]:
        """The bundles merged in (of one case), oldest first."""
        case_id = self._cases.get(case).id if case is not None else None
        return [dict(row) for row in self._repo.imports(case_id)]

