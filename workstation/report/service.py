"""The case report (``ws.report``): a PDF/A-3b (or HTML) file with the case's exhibits,
their hashes and continuity, and its audit trail, signed like an alert pack
(``FILE.minisig``, minisign's format, by the agency's signing key), audited
(``report.create``) and queued for a trusted timestamp.

Building runs ``verify`` first and states its result in the report (a failure plainly).
Nothing is half-written: the report and its signature are each written under a
temporary name and moved into place only once complete; a cancel or an error leaves
neither.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workstation import __version__
from workstation.context import Context
from workstation.crypto import signing
from workstation.errors import Cancelled, WorkstationError
from workstation.files import AtomicFile
from workstation.models import VerifyReport
from workstation.packs.issuer import IssuerNotSet, issuer_values
from workstation.progress import CancelToken, Progress, ProgressCallback, report
from workstation.report.gather import Gatherer, json_bytes
from workstation.report.model import FORMATS, ReportHeader, ReportResult
from workstation.settings import get_text
from workstation.storage.report_repo import ReportRepo
from workstation.storage.repositories import CaptureRepo

STORAGE = ("Each original is kept byte for byte in the workspace's evidence store, named by "
           "its SHA-256 and read-only; every change to the records is written to a "
           "hash-chained audit trail anchored outside the database. Redacted copies are new "
           "files with their own SHA-256, linked to the original's and to their redaction "
           "log; the originals are never changed.")


class ReportService:
    """Builds case reports.  ``owner`` is the open workspace (``verify``, ``cases``,
    ``keys``, ``reading`` and, where present, ``exhibits``, ``redactions``,
    ``timestamps``): the services a report draws on, looked up when it is built."""

    def __init__(self, ctx: Context, repo: ReportRepo, captures: CaptureRepo, owner: Any) -> None:
        self._ctx = ctx
        self._repo = repo
        self._captures = captures
        self._ws = owner

    def build(self, case_name: str, out_path: str | os.PathLike[str], fmt: str = "pdf", *,
              progress: ProgressCallback | None = None,
              cancel: CancelToken | None = None) -> ReportResult:
        """Write the report of case ``case_name`` to ``out_path`` and ``out_path.minisig``.

        The signing key is unlocked first (``ws.keys.use_secrets`` says how), then the
        workspace is verified, then the report is written.  Refused when ``out_path``
        exists.  ``progress`` hears verify, then each exhibit; ``cancel`` stops it with
        nothing written (:class:`Cancelled`)."""
        if fmt not in FORMATS:
            raise WorkstationError(f"The report format must be pdf or html, not {fmt!r}.")
        self._ctx.check_writable()
        out = Path(out_path).expanduser()
        sig_path = out.with_name(out.name + ".minisig")
        for path in (out, sig_path):
            if path.exists() or path.is_symlink():
                raise WorkstationError(f"{os.fspath(path)!r} already exists; the report is "
                                       "not written over it.")
        if not out.parent.is_dir():
            raise WorkstationError(f"There is no folder {os.fspath(out.parent)!r}.")
        case = self._ws.cases.get(case_name)
        issuer = issuer_values(self._ctx)
        if not issuer["agency_name"]:
            raise IssuerNotSet(["agency_name"])
        key = self._ws.keys.signing_key()  # unlocked before any work
        verify = self._verify(progress, cancel)
        ids = self._repo.capture_ids(case.id)
        header = self._header(case, issuer, verify, len(ids))
        gatherer = Gatherer(self._ws, self._repo, self._captures, ids)
        audit_subjects = self._audit_subjects(case.id, ids)
        writer = _write_pdf if fmt == "pdf" else _write_html
        sha256, size, digest = writer(out, header, gatherer, audit_subjects, self._repo,
                                      progress, cancel)
        try:
            comment = (f"case report ({fmt}) sha256:{sha256} exhibits:{len(ids)} "
                       f"timestamp:{int(time.time())}")
            sig_text = signing.sign_digest(
                key, digest, comment,
                untrusted_comment=f"signature of a case report by agency key {key.key_id_hex}")
            sig = AtomicFile(sig_path, 0o644)
            try:
                sig.file.write(sig_text.encode("utf-8"))
                sig.commit()
            except BaseException:
                sig.discard()
                raise
            stamp = self._record(case.id, out, fmt, sha256, size, len(ids), key, verify)
        except BaseException:
            out.unlink(missing_ok=True)
            sig_path.unlink(missing_ok=True)
            raise
        return ReportResult(os.fspath(out), os.fspath(sig_path), fmt, sha256, size, len(ids),
                            key.key_id_hex, comment, verify.ok, verify.summary(), stamp)

    # ---------------------------------------------------------------- steps
    def _verify(self, progress: ProgressCallback | None, cancel: CancelToken | None
                ) -> VerifyReport:
        def relay(p: Progress) -> None:
            report(progress, p.done, p.total, f"verify: {p.message}".rstrip(": "))

        result: VerifyReport = self._ws.verify(progress=relay, cancel=cancel)
        if result.cancelled or (cancel is not None and cancel.cancelled):
            raise Cancelled("The report was cancelled; nothing was written.")
        return result

    def _header(self, case: Any, issuer: dict[str, str], verify: VerifyReport, count: int
                ) -> ReportHeader:
        now = datetime.now(UTC).replace(microsecond=0)
        local = now.astimezone()
        offset = local.strftime("%z")
        head = self._ctx.audit.head()
        return ReportHeader(
            agency=issuer["agency_name"], unit=issuer["issuing_unit"], case_id=case.id,
            case_name=case.name, case_status=case.status, case_created_at=case.created_at,
            marking=get_text(self._ctx, "handling_marking") or "OFFICIAL-SENSITIVE",
            generated_at=f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} "
                         f"({offset[:3]}:{offset[3:]})",
            generated_utc=now.isoformat().replace("+00:00", "Z"),
            analyst=self._ctx.analyst, app_version=__version__, verify_ok=verify.ok,
            verify_summary=verify.summary(),
            verify_problems=tuple(p.message for p in verify.problems[:200]),
            exhibit_count=count, storage=STORAGE,
            audit_head=f"seq {head.seq}, SHA-256 {head.sha256}" if head else "empty")

    def _audit_subjects(self, case_id: int, ids: list[int]) -> set[str]:
        subjects = {f"case:{case_id}", *(f"capture:{i}" for i in ids)}
        for items in self._repo.pack_items(ids).values():
            subjects.update(f"pack:{r['ref']}" for r in items)
        return subjects

    def _record(self, case_id: int, out: Path, fmt: str, sha256: str, size: int,
                count: int, key: signing.SigningKey, verify: VerifyReport) -> int | None:
        """Audit the report and queue its trusted timestamp (in one transaction where the
        timestamp service can); the queued request's id."""
        ctx = self._ctx
        stamps = getattr(self._ws, "timestamps", None)
        stamp: int | None = None
        with ctx.write():
            ctx.audit.append(ctx.analyst, "report.create", f"case:{case_id}", {
                "sha256": sha256, "format": fmt, "exhibits": count, "size": size,
                "file_name": out.name, "signing_key_id": key.key_id_hex,
                "verify_ok": verify.ok})
            if stamps is not None and hasattr(stamps, "queue_in_transaction"):
                stamp = int(stamps.queue_in_transaction("report", f"report:{sha256}", sha256))
        if stamps is not None and stamp is None:
            stamp = int(stamps.queue("report", f"report:{sha256}", sha256))
        return stamp


# ------------------------------------------------------------------- writers
class _Hashes:
    """SHA-256 and minisign's BLAKE2b-512 of what is written."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.blake = signing.minisign_hasher()
        self.size = 0

    def update(self, data: bytes) -> None:
        self.sha256.update(data)
        self.blake.update(data)
        self.size += len(data)


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise Cancelled("The report was cancelled; nothing was written.")


def _exhibits(gatherer: Gatherer, manifest: list[dict[str, Any]],
              progress: ProgressCallback | None, cancel: CancelToken | None) -> Iterator[Any]:
    total = len(gatherer.ids)
    report(progress, 0, total, "exhibits")
    for n, exhibit in enumerate(gatherer.exhibits(), start=1):
        _check(cancel)
        manifest.append(exhibit.manifest())
        yield exhibit
        report(progress, n, total, f"exhibit {exhibit.ref}")


def _audit_entries(repo: ReportRepo, subjects: set[str]) -> Iterator[dict[str, Any]]:
    for row in repo.audit_subject_rows(subjects):
        yield {"seq": row["seq"], "at": row["at"], "analyst": row["analyst"],
               "action": row["action"], "subject": row["subject"],
               "details": json.loads(row["details"]), "details_text": row["details"],
               "prev_hash": row["prev_hash"], "hash": row["hash"]}


def _jsonl(entry: dict[str, Any]) -> bytes:
    plain = {k: v for k, v in entry.items() if k != "details_text"}
    return json.dumps(plain, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def _manifest(header: ReportHeader, exhibits: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "analyst-workstation-case-report", "version": 1,
            "report": header.to_dict(), "exhibits": exhibits}


def _write_pdf(out: Path, header: ReportHeader, gatherer: Gatherer, subjects: set[str],
               repo: ReportRepo, progress: ProgressCallback | None,
               cancel: CancelToken | None) -> tuple[str, int, bytes]:
    from workstation.report.pdf import PdfReport

    with PdfReport(header) as doc:
        doc.front(gatherer.index())
        manifest: list[dict[str, Any]] = []
        for exhibit in _exhibits(gatherer, manifest, progress, cancel):
            doc.exhibit(exhibit)
        audit_lines: list[bytes] = []

        def lines() -> Iterator[str]:
            for e in _audit_entries(repo, subjects):
                audit_lines.append(_jsonl(e))
                yield (f"{e['seq']}  {e['at']}  {e['analyst']}  {e['action']}  {e['subject']}  "
                       f"{e['details_text']}  hash {e['hash']}")

        doc.audit(lines())
        _check(cancel)
        data = doc.finish(json_bytes(_manifest(header, manifest)), b"".join(audit_lines))
        _check(cancel)
    hashes = _Hashes()
    hashes.update(data)
    _write_file(out, [data])
    return hashes.sha256.hexdigest(), hashes.size, hashes.blake.digest()


def _write_html(out: Path, header: ReportHeader, gatherer: Gatherer, subjects: set[str],
                repo: ReportRepo, progress: ProgressCallback | None,
                cancel: CancelToken | None) -> tuple[str, int, bytes]:
    from workstation.report.html import render

    manifest: list[dict[str, Any]] = []
    pieces = render(header, gatherer.index(), _exhibits(gatherer, manifest, progress, cancel),
                    _audit_entries(repo, subjects), lambda: _manifest(header, manifest))
    hashes = _Hashes()

    def encoded() -> Iterator[bytes]:
        for piece in pieces:
            data = piece.encode("utf-8")
            hashes.update(data)
            yield data
        _check(cancel)

    _write_file(out, encoded())
    return hashes.sha256.hexdigest(), hashes.size, hashes.blake.digest()


def _write_file(out: Path, chunks: Any) -> None:
    """``chunks`` into ``out`` under a temporary name, moved into place once complete."""
    target = AtomicFile(out, 0o644, make_parents=False)
    try:
        for chunk in chunks:
            target.file.write(chunk)
        target.commit()
    except BaseException:
        target.discard()
        raise
