"""Trusted timestamps (``ws.timestamps``): RFC 3161 requests queued offline over a
SHA-256 — the audit chain's head, a sealed pack's ``SHA256SUMS``, a report — sent to the
configured time-stamping authorities when a network is there, and verified offline.

* ``queue`` builds the request with no network (the imprint is the digest itself,
  SHA-256; a random nonce; certReq) and stores its DER; audited ``timestamp.queue``.
* ``queue_audit_head`` stamps the audit chain's newest entry: subject ``audit:SEQ``, the
  digest is that entry's hash, which is already a SHA-256 (hex), stamped as it is.
* ``send`` posts each queued request to the TSAs in order; an answer is kept (raw, with
  the certificates the TSA sent) only once it verifies against that TSA's CA — in-app
  with ``rfc3161-client``, else ``openssl ts -verify`` (``timestamp.stamped`` records
  which).  A request no TSA answered stays queued with its ``last_error``.
* ``verify`` checks a token offline with the same two verifiers; ``openssl_command``
  is the court-facing check, and ``export`` writes the files it names.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from workstation.context import Context
from workstation.errors import Cancelled, NotFound
from workstation.files import atomic_write
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.storage.sqlitelib import sqlite3
from workstation.storage.timestamps_repo import TimestampsRepo
from workstation.timestamps import transport
from workstation.timestamps.models import Authority, SendSummary, TimestampRecord, VerifyResult
from workstation.timestamps.tokens import (
    TimestampError,
    build_request,
    check_digest,
    load_ca,
    openssl_argv,
    verify_token,
)
from workstation.timeutil import utc_now

KINDS = ("audit", "pack", "report")

README = """\
RFC 3161 trusted timestamp #{id}
================================

What is stamped: {subject} ({kind})
SHA-256 stamped (the message imprint): {digest}
Time-stamping authority: {tsa}
The TSA's time (UTC): {gen_time}

Files:
  request.tsq   the request sent (DER TimeStampReq)
  response.tsr  the TSA's answer as received (DER TimeStampResp, with its certificates)
  ca.pem        the CA certificate(s) the TSA's certificate is checked against

Check it with OpenSSL (prints "Verification: OK"):

  {command}

and read the token (the time, the serial number, the TSA's name):

  openssl ts -reply -in response.tsr -text
"""


class TimestampService:
    """Queue, send and verify RFC 3161 timestamps; every change audited."""

    def __init__(self, ctx: Context, repo: TimestampsRepo) -> None:
        self._ctx = ctx
        self._repo = repo

    # ---------------------------------------------------------------- queueing
    def queue(self, kind: str, subject: str, digest_hex: str) -> int:
        """Queue a request over ``digest_hex`` (SHA-256) for ``subject``; no network.  The
        same subject and digest queued again returns the existing id."""
        with self._ctx.write():
            return self.queue_in_transaction(kind, subject, digest_hex)

    def queue_in_transaction(self, kind: str, subject: str, digest_hex: str) -> int:
        """:meth:`queue` inside the caller's ``ctx.write()`` (sealing a pack)."""
        if kind not in KINDS:
            raise TimestampError(f"Unknown timestamp kind {kind!r} (one of {', '.join(KINDS)}).")
        digest = check_digest(digest_hex)
        ctx = self._ctx
        existing = self._repo.find(subject, digest)
        if existing is not None:
            return existing
        request, nonce = build_request(digest)
        timestamp_id = self._repo.insert(kind, subject, digest, request, str(nonce),
                                         utc_now(), ctx.analyst)
        ctx.audit.append(ctx.analyst, "timestamp.queue", f"timestamp:{timestamp_id}",
                         {"kind": kind, "of": subject, "digest": digest, "nonce": str(nonce),
                          "request_sha256": hashlib.sha256(request).hexdigest()})
        return timestamp_id

    def queue_audit_head(self) -> int:
        """Queue a request over the audit chain's newest entry (its hash, a SHA-256, as it
        is).  When nothing but timestamp bookkeeping was recorded since the last such
        request, that request's id is returned instead of a new one."""
        with self._ctx.write():
            latest = self._repo.latest_audit()
            if latest is not None and all(
                    a.startswith("timestamp.") for a in self._repo.actions_after(latest["seq"])):
                return int(latest["id"])
            head = self._ctx.audit.head()
            if head is None:
                raise TimestampError("The audit trail is empty: nothing to timestamp yet.")
            return self.queue_in_transaction("audit", f"audit:{head.seq}", head.sha256)

    # ----------------------------------------------------------------- reading
    def get(self, timestamp_id: int) -> TimestampRecord:
        row = self._repo.get(timestamp_id)
        if row is None:
            raise NotFound(f"There is no timestamp #{timestamp_id}.")
        return self._record(row, self._repo.verifiers())

    def all(self, state: str | None = None) -> list[TimestampRecord]:
        verifiers = self._repo.verifiers()
        return [self._record(r, verifiers) for r in self._repo.all(state)]

    def for_subject(self, subject: str) -> list[TimestampRecord]:
        verifiers = self._repo.verifiers()
        return [self._record(r, verifiers) for r in self._repo.all(subject=subject)]

    def covering_audit_seq(self, seq: int) -> TimestampRecord | None:
        """The earliest stamped audit-head token at or after entry ``seq`` (it proves
        that entry existed by the TSA's time), else None."""
        row = self._repo.covering_audit(seq)
        return None if row is None else self._record(row, self._repo.verifiers())

    def for_capture(self, capture_id: int) -> TimestampRecord | None:
        """The token covering the capture's ``capture.import`` entry, else None."""
        seq = self._repo.import_seq(capture_id)
        return None if seq is None else self.covering_audit_seq(seq)

    @staticmethod
    def _record(row: sqlite3.Row, verifiers: dict[int, str]) -> TimestampRecord:
        return TimestampRecord(
            row["id"], row["kind"], row["subject"], row["digest"], bytes(row["request"]),
            int(row["nonce"]), row["queued_at"], row["queued_by"], row["state"],
            row["tsa_url"], None if row["response"] is None else bytes(row["response"]),
            row["gen_time"], row["stamped_at"], row["last_error"], verifiers.get(row["id"]))

    # ------------------------------------------------------------ authorities
    def authorities(self, *, include_removed: bool = False) -> list[Authority]:
        return [Authority(r["id"], r["url"], r["ca_pem"], r["position"], r["added_at"],
                          r["added_by"], r["removed_at"])
                for r in self._repo.authorities(include_removed=include_removed)]

    def add_authority(self, url: str, ca_pem: str) -> Authority:
        """Configure a TSA (tried after those already there) with the CA certificate(s)
        its tokens are checked against; audited ``tsa.add``.  A removed TSA added again
        keeps its earlier CA certificates too (its old tokens still verify)."""
        url = transport.check_url(url)
        certs = load_ca(ca_pem)
        ctx = self._ctx
        with ctx.write():
            old = self._repo.authority(url)
            if old is not None and old["removed_at"] is None:
                raise TimestampError(f"The TSA {url} is already configured.")
            pem = ca_pem.strip() + "\n"
            if old is not None:
                kept = [c for c in load_ca(old["ca_pem"]) if c not in certs]
                pem += "".join(_pem(c) for c in kept)
            self._repo.add_authority(url, pem, utc_now(), ctx.analyst)
            ctx.audit.append(ctx.analyst, "tsa.add", f"tsa:{url}", {
                "url": url, "ca_sha256": hashlib.sha256(pem.encode()).hexdigest(),
                "ca_subjects": [c.subject.rfc4514_string() for c in certs]})
        return self._authority(url)

    def remove_authority(self, url: str) -> None:
        """Stop sending to a TSA (kept: its tokens are still checked against its CA)."""
        ctx = self._ctx
        with ctx.write():
            row = self._repo.authority(url.strip())
            if row is None or row["removed_at"] is not None:
                raise NotFound(f"No TSA {url.strip()} is configured.", how="tsa list")
            self._repo.remove_authority(row["url"], utc_now())
            ctx.audit.append(ctx.analyst, "tsa.remove", f"tsa:{row['url']}",
                             {"url": row["url"]})

    def _authority(self, url: str) -> Authority:
        for authority in self.authorities(include_removed=True):
            if authority.url == url:
                return authority
        raise NotFound(f"No TSA {url} is configured.", how="tsa list")

    def authority_ca(self, record: TimestampRecord) -> str:
        """The CA certificate(s) (PEM) of the TSA that stamped ``record``."""
        return self._ca_for(record)

    def _ca_for(self, record: TimestampRecord) -> str:
        if record.tsa_url is None:
            raise TimestampError(f"Timestamp #{record.id} is not stamped yet.")
        return self._authority(record.tsa_url).ca_pem

    # ----------------------------------------------------------------- sending
    def send(self, tsa_url: str | None = None, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None, *, ca_pem: str | None = None) -> SendSummary:
        """Send every queued request, each to the TSAs in order until one answers with a
        token that verifies (or only to ``tsa_url``: a configured TSA, or a new one with
        ``ca_pem``, added first).  The network is used outside any transaction."""
        self._ctx.check_writable()
        targets = self._targets(tsa_url, ca_pem)
        queued = self.all(state="queued")
        summary = SendSummary()
        for done, record in enumerate(queued):
            if cancel is not None and cancel.cancelled:
                summary.cancelled = True
                break
            report(progress, done, len(queued), f"Timestamp #{record.id} ({record.subject})")
            errors: list[str] = []
            for authority in targets:
                try:
                    self._send_one(record, authority)
                except TimestampError as exc:
                    errors.append(str(exc) if authority.url in str(exc)
                                  else f"{authority.url}: {exc}")
                    continue
                summary.stamped.append(record.id)
                break
            else:
                error = "; ".join(errors)[:500]
                with self._ctx.write():
                    self._repo.set_error(record.id, error)
                summary.failed[record.id] = error
        report(progress, len(queued), len(queued), summary.line)
        if summary.cancelled and not summary.stamped and not summary.failed:
            raise Cancelled("Sending timestamps was cancelled; nothing was sent.")
        return summary

    def _targets(self, tsa_url: str | None, ca_pem: str | None) -> list[Authority]:
        configured = self.authorities()
        if tsa_url is None:
            if not configured:
                raise TimestampError("No time-stamping authority is configured: add one with "
                                     "{how}.", how="tsa add URL --ca PEMFILE")
            return configured
        url = transport.check_url(tsa_url)
        for authority in configured:
            if authority.url == url:
                return [authority]
        if ca_pem is None:
            raise TimestampError(f"The TSA {url} is not configured: add it with {{how}} "
                                 "(or give --ca PEMFILE).", how="tsa add URL --ca PEMFILE",
                                 window=f"The TSA {url} is not configured: add it with "
                                        "Workspace → Timestamps… → Add TSA…")
        return [self.add_authority(url, ca_pem)]

    def _send_one(self, record: TimestampRecord, authority: Authority) -> None:
        """Post, verify against the TSA's CA, and store the raw answer (audited)."""
        response = transport.post(authority.url, record.request)
        verdict = verify_token(response, record.digest, record.nonce, authority.ca_pem)
        ctx = self._ctx
        with ctx.write():
            self._repo.stamped(record.id, authority.url, response, verdict.gen_time, utc_now())
            ctx.audit.append(ctx.analyst, "timestamp.stamped", f"timestamp:{record.id}", {
                "of": record.subject, "digest": record.digest, "tsa": authority.url,
                "gen_time": verdict.gen_time, "verifier": verdict.verifier,
                "response_sha256": hashlib.sha256(response).hexdigest()})

    # -------------------------------------------------------------- verifying
    def verify(self, record: TimestampRecord) -> VerifyResult:
        """Check a stamped token offline against its TSA's CA: in-app, else OpenSSL."""
        if not record.stamped or record.response is None:
            return VerifyResult(record.id, False, None, None, "not stamped yet")
        try:
            verdict = verify_token(record.response, record.digest, record.nonce,
                                   self._ca_for(record))
        except (TimestampError, NotFound) as exc:
            return VerifyResult(record.id, False, None, record.gen_time, str(exc))
        return VerifyResult(record.id, True, verdict.verifier, verdict.gen_time)

    @staticmethod
    def openssl_command(record: TimestampRecord, response: Path | str = "response.tsr",
                        ca: Path | str = "ca.pem") -> str:
        """The exact court-facing check of ``record``'s token (files as ``export`` writes
        them, or the paths given)."""
        return shlex.join(openssl_argv(Path(response), record.digest, Path(ca)))

    def export(self, timestamp_id: int, folder: Path) -> list[Path]:
        """Write request.tsq, response.tsr, ca.pem and README.txt (with the OpenSSL
        command) into ``folder``; returns the paths written."""
        record = self.get(timestamp_id)
        if not record.stamped or record.response is None:
            raise TimestampError(f"Timestamp #{timestamp_id} is not stamped yet.",
                                 how="timestamp --send")
        ca_pem = self._ca_for(record)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            files = {"request.tsq": record.request, "response.tsr": record.response,
                     "ca.pem": ca_pem.encode("ascii"),
                     "README.txt": README.format(
                         id=record.id, subject=record.subject, kind=record.kind,
                         digest=record.digest, tsa=record.tsa_url, gen_time=record.gen_time,
                         command=self.openssl_command(record)).encode("utf-8")}
            taken = [name for name in files if (folder / name).exists()
                     or (folder / name).is_symlink()]
            if taken:  # never written over (another token's files, or the analyst's)
                raise TimestampError(f"{folder / taken[0]} already exists; nothing was "
                                     "written (export into an empty folder).")
            written = []
            for name, data in files.items():
                atomic_write(folder / name, data)
                written.append(folder / name)
        except OSError as exc:
            raise TimestampError(f"Cannot write to {folder}: {exc.strerror or exc}") from None
        return written


def _pem(cert: object) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding
    return cert.public_bytes(Encoding.PEM).decode("ascii")  # type: ignore[attr-defined]
