"""Sending sealed packs (``ws.outbox``): the outbox's state machine over the folder and
SMTP transports (:mod:`workstation.packs.transports`) — a pack is never sent twice
blindly: an interrupted send is *maybe sent* until a person settles it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workstation.addresses import InvalidAddress, check_email
from workstation.context import Context
from workstation.crypto.secretstore import SecretNotFound
from workstation.errors import WorkstationError
from workstation.packs.compose import PackService
from workstation.packs.contacts import ContactService
from workstation.packs.keys import KeyService
from workstation.packs.models import (
    SENT_STATES,
    OutboxError,
    SendResult,
    pack_setting,
    smtp_password_name,
)
from workstation.settings import SMTP_PORTS, get_int, get_optional_int, get_text
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

if TYPE_CHECKING:
    from collections.abc import Mapping
    from email.message import EmailMessage

    from workstation.packs.transports import SmtpSettings


@dataclass(frozen=True, slots=True)
class _EmlSettings:
    """What the message builder reads of the SMTP settings, for ``--via eml`` (no server)."""

    sender: str


class Outbox:
    """The outbox: send, retry, settle."""

    def __init__(self, ctx: Context, repo: PacksRepo, packs: PackService, keys: KeyService,
                 contacts: ContactService) -> None:
        self._ctx = ctx
        self._repo = repo
        self._packs = packs
        self._keys = keys
        self._contacts = contacts

    def send(self, ref: str, via: str | None = None, to: str | None = None, *,
                  confirm_sent: bool = False, resend: bool = False) -> SendResult:
        """Deliver a sealed pack (``via`` folder, smtp or eml), or settle an interrupted
        send.  ``eml`` writes the message SMTP would send to ``to``/REF.eml, for a mail
        relay elsewhere: the pack counts as sent (handed over), never sent again."""
        row = self._packs.row(ref)
        ref = row["ref"]
        state = row["state"]
        if confirm_sent:
            return self._confirm_sent(row)
        if state in SENT_STATES:
            raise OutboxError(
                f"{ref} was already sent ({row['sent_at']} via {row['transport']} to "
                f"{row['destination']}); a pack is never sent twice.")
        if state == "sending" and not resend:
            raise OutboxError(
                f"{ref} may already have been delivered: the last attempt "
                f"({row['sending_at']}) was interrupted after the message data started "
                f"(Message-ID {row['message_id']}). Check with the recipient or the mail "
                f"server, then run {{how}} if it arrived, or `--resend` to send it again with "
                f"the same Message-ID.", how=f"pack send {ref} --confirm-sent",
                window=f"{ref} may already have been delivered: the last attempt "
                f"({row['sending_at']}) was interrupted after the message data started "
                f"(Message-ID {row['message_id']}). Check with the recipient or the mail "
                f"server, then use Packs → Outbox… → Confirm delivered if it arrived, or "
                f"Resend to send it again with the same Message-ID.")
        if state == "draft":
            raise OutboxError(f"{ref} was never sealed (the build failed); build a new pack.")
        via = via or row["transport"] or ("smtp" if self._ctx.setting("smtp_host") else None)
        if via is None:
            raise OutboxError("No transport: use --via folder --to DIR, or configure SMTP "
                              "({how} ...).", how="config smtp_host HOST",
                              window="No way to send it: export it to a folder, or set up "
                                     "e-mail (Workspace → Settings…).")
        if via == "folder":
            if state == "sending":
                raise OutboxError(f"{ref} is being sent by e-mail; settle that first.")
            if not to:
                raise OutboxError("--via folder needs --to DIR (the folder or removable drive).")
            return self._send_folder(row, Path(to).expanduser())
        if via == "eml":
            if state == "sending":
                raise OutboxError(f"{ref} is being sent by e-mail; settle that first.")
            if not to:
                raise OutboxError("--via eml needs --to DIR (where REF.eml is written, for "
                                  "the mail relay).")
            return self._send_eml(row, Path(to).expanduser())
        if via != "smtp":
            raise OutboxError(f"Unknown transport {via!r}; use smtp, folder or eml.")
        self._smtp_settings()  # fail early on a configuration problem
        if state == "sealed" or (state == "queued" and row["transport"] != "smtp"):
            contact = self._contacts.trusted(row["contact_id"])
            with self._ctx.write():
                message_id = row["message_id"] or self._message_id(ref)
                self._repo.update_pack(row["id"], {
                    "state": "queued", "transport": "smtp", "destination": contact.email,
                    "message_id": message_id, "next_attempt_at": None})
                self._ctx.audit.append(self._ctx.analyst, "pack.queue", f"pack:{ref}", {
                    "ref": ref, "transport": "smtp", "to": contact.email,
                    "message_id": message_id})
            row = self._packs.row(ref)
        return self._attempt_smtp(row, resend=resend)

    def _message_id(self, ref: str) -> str:
        from workstation.packs.transports import message_id_for

        return message_id_for(ref, self._ctx.setting("smtp_from") or "")

    def send_queued(self, *, ignore_backoff: bool = False) -> list[SendResult]:
        """Try every queued e-mail pack that is due; report interrupted ones, never re-send them."""
        results: list[SendResult] = []
        for row in self._repo.packs(["sending"]):
            results.append(SendResult(
                row["ref"], "uncertain", row["transport"] or "smtp", row["destination"],
                "interrupted after the message data started; not re-sent automatically (check, "
                "then confirm it was delivered, or resend it)", row["attempts"], None))
        now = "9999" if ignore_backoff else utc_now()
        for row in self._repo.due_packs(now, "smtp"):
            try:
                results.append(self._attempt_smtp(row))
            except OutboxError as exc:
                results.append(SendResult(row["ref"], "queued", "smtp", row["destination"],
                                          str(exc), row["attempts"], row["next_attempt_at"]))
        return results

    def _send_folder(self, row: sqlite3.Row, folder: Path) -> SendResult:
        from workstation.packs.transports import DeliveryError, deliver_to_folder

        ref = row["ref"]
        path = self._check_pack_file(row)
        readme = self._packs.cover_note(ref)
        try:  # never the agency's public key beside the pack (a trust anchor travels apart)
            done = deliver_to_folder(path, row["file_sha256"], folder, readme, ref)
        except DeliveryError as exc:
            with self._ctx.write():
                self._repo.add_attempt(row["id"], utc_now(), "folder", os.fspath(folder),
                                            "failed", str(exc))
                self._ctx.audit.append(self._ctx.analyst, "pack.send_failed", f"pack:{ref}", {
                    "ref": ref, "transport": "folder", "to": os.fspath(folder),
                    "error": str(exc)})
            raise
        now = utc_now()
        with self._ctx.write():
            self._repo.update_pack(row["id"], {
                "state": "sent", "transport": "folder", "destination": os.fspath(folder),
                "attempts": row["attempts"] + 1, "sent_at": now, "last_error": None,
                "next_attempt_at": None})
            self._repo.add_attempt(row["id"], now, "folder", os.fspath(folder), "sent", None)
            self._ctx.audit.append(self._ctx.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": "folder", "to": os.fspath(folder),
                "file": os.fspath(done.pack_path), "sha256": done.sha256,
                "readme": os.fspath(done.readme_path)})
        return SendResult(ref, "sent", "folder", os.fspath(folder),
                          f"copied to {done.pack_path} (SHA-256 verified) with "
                          f"{done.readme_path.name}", row["attempts"] + 1)

    def _send_eml(self, row: sqlite3.Row, folder: Path) -> SendResult:
        """Write the exact message :meth:`_smtp_deliver` would send (same builder, same
        Message-ID, CRLF line ends) to ``folder/REF.eml``, atomically; record it as sent."""
        from workstation.packs.transports import write_eml

        ref = row["ref"]
        path = self._check_pack_file(row)
        sender = self._sender()
        contact = self._contacts.trusted(row["contact_id"])
        to = row["destination"] if row["transport"] == "smtp" else contact.email
        message_id = row["message_id"] or self._message_id(ref)
        message = self._smtp_message(
            {**dict(row), "destination": to, "message_id": message_id},
            _EmlSettings(sender), path)
        target = folder / f"{ref}.eml"
        try:
            eml_sha256 = write_eml(message, target)
        except (OSError, WorkstationError) as exc:
            error = (str(exc) if isinstance(exc, WorkstationError)
                     else f"Cannot write to {str(folder)!r}: {exc.strerror or exc}.")
            with self._ctx.write():
                self._repo.add_attempt(row["id"], utc_now(), "eml", os.fspath(folder),
                                       "failed", error[:500])
                self._ctx.audit.append(self._ctx.analyst, "pack.send_failed", f"pack:{ref}", {
                    "ref": ref, "transport": "eml", "to": os.fspath(folder),
                    "error": error[:500]})
            raise OutboxError(error) from None
        now = utc_now()
        with self._ctx.write():
            # The pack row says folder (the schema's transports: smtp, folder): the .eml was
            # handed over in a folder; the attempt log and the audit entry say eml.
            self._repo.update_pack(row["id"], {
                "state": "sent", "transport": "folder", "destination": os.fspath(folder),
                "message_id": message_id, "attempts": row["attempts"] + 1, "sent_at": now,
                "last_error": None, "next_attempt_at": None})
            self._repo.add_attempt(row["id"], now, "eml", os.fspath(folder), "sent", None)
            self._ctx.audit.append(self._ctx.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": "eml", "to": os.fspath(folder), "mail_to": to,
                "file": os.fspath(target), "eml_sha256": eml_sha256,
                "message_id": message_id, "sha256": row["file_sha256"]})
        return SendResult(ref, "sent", "eml", os.fspath(folder),
                          f"wrote {target} (the e-mail to {to}, Message-ID {message_id}) for "
                          "the mail relay; the pack counts as sent", row["attempts"] + 1)

    def _sender(self) -> str:
        """The From address of the pack's e-mail (``smtp_from``, else ``smtp_user``)."""
        try:
            return check_email(self._ctx.setting("smtp_from") or self._ctx.setting("smtp_user"))
        except InvalidAddress:
            raise OutboxError("Set the sender address: {how}.",
                              how="config smtp_from alerts@example.org") from None

    def _smtp_settings(self) -> Any:
        from workstation.packs.transports import SmtpSettings

        host = self._ctx.setting("smtp_host")
        sender = self._ctx.setting("smtp_from") or self._ctx.setting("smtp_user")
        if not host:
            raise OutboxError("SMTP is not configured: {how} (and smtp_port, smtp_security "
                              "starttls|ssl, smtp_user, smtp_from).", how="config smtp_host HOST",
                              window="E-mail is not set up: Workspace → Settings… (E-mail).")
        try:
            sender = check_email(sender)
        except InvalidAddress:
            raise OutboxError("Set the sender address: {how}.",
                              how="config smtp_from alerts@example.org") from None
        security = get_text(self._ctx, "smtp_security")  # the settings table's values
        port = get_optional_int(self._ctx, "smtp_port") or SMTP_PORTS[security]
        timeout = float(get_int(self._ctx, "smtp_timeout"))
        max_mb = get_int(self._ctx, "smtp_max_mb")
        return SmtpSettings(host=host, port=port, security=security, sender=sender,
                            user=self._ctx.setting("smtp_user") or None,
                            cafile=self._ctx.setting("smtp_cafile") or None, timeout=timeout,
                            max_bytes=int(max_mb * (1 << 20)))

    def _attempt_smtp(self, row: sqlite3.Row, *, resend: bool = False) -> SendResult:
        """One e-mail attempt for a queued (or, with ``resend``, interrupted) pack."""
        from workstation.packs.transports import DeliveryError, MaybeSent

        settings = self._smtp_settings()
        attempts = row["attempts"] + 1
        try:
            reply = self._smtp_deliver(row, settings, attempts, resend=resend)
        except DeliveryError as exc:
            return self._smtp_failed(row, attempts, exc)
        except MaybeSent as exc:
            return self._smtp_uncertain(row, attempts, exc)
        return self._smtp_sent(row, attempts, reply, resend=resend)

    def _smtp_password(self, settings: SmtpSettings) -> str | None:
        """The stored SMTP password for the configured user (``None`` without a user)."""
        from workstation.packs.transports import DeliveryError

        if not settings.user:
            return None
        try:
            return self._keys.secret(smtp_password_name(settings.host, settings.user)
                                     ).decode("utf-8")
        except SecretNotFound:
            raise DeliveryError("No SMTP password is stored for "
                                f"{settings.user}@{settings.host}.",
                                how="key smtp-password") from None

    def _smtp_message(self, row: sqlite3.Row | Mapping[str, Any],
                      settings: SmtpSettings | _EmlSettings, path: Path) -> EmailMessage:
        """The e-mail carrying the pack and its cover note; never the agency's public key
        (a trust anchor travels apart: the cover note names its key id and fingerprint)."""
        from workstation.packs.transports import build_message

        ref = row["ref"]
        contact = self._contacts.get(row["contact_id"])
        return build_message(
            sender=settings.sender, to=row["destination"] or contact.email,
            subject=(f"[{pack_setting(self._ctx, 'handling_marking')}] Alert pack {ref} - "
                     f"{row['platform']} - {row['priority'].upper()} - action by "
                     f"{row['deadline_at']}"),
            body=self._packs.cover_note(ref),
            message_id=row["message_id"] or self._message_id(ref),
            attachment=path, attachment_name=path.name)

    def _smtp_deliver(self, row: sqlite3.Row, settings: SmtpSettings, attempts: int, *,
                      resend: bool) -> str:
        """Send the pack by e-mail, marking it ``sending`` just before the message data;
        return the server's reply. Raises ``DeliveryError`` or ``MaybeSent``."""
        from workstation.packs.transports import SmtpSender

        ref = row["ref"]
        path = self._check_pack_file(row)
        password = self._smtp_password(settings)
        message = self._smtp_message(row, settings, path)
        expected = ("sending",) if resend else ("queued",)

        def before_data() -> None:
            with self._ctx.write():
                if not self._repo.set_state_if(row["id"], expected, {
                        "state": "sending", "sending_at": utc_now()}):
                    raise OutboxError(f"{ref} changed state meanwhile; not sent.")
                self._ctx.audit.append(self._ctx.analyst, "pack.sending", f"pack:{ref}", {
                    "ref": ref, "message_id": message["Message-ID"], "attempt": attempts,
                    "resend": resend})

        return SmtpSender(settings, password).send(message, [message["To"]], before_data)

    def _smtp_failed(self, row: sqlite3.Row, attempts: int, exc: Exception) -> SendResult:
        """Record a certainly-failed attempt and queue the pack for a retry with back-off."""
        from workstation.packs.transports import next_attempt_at

        ref = row["ref"]
        retry = next_attempt_at(attempts)
        with self._ctx.write():
            self._repo.update_pack(row["id"], {
                "state": "queued", "attempts": attempts, "next_attempt_at": retry,
                "last_error": str(exc)[:500]})
            self._repo.add_attempt(row["id"], utc_now(), "smtp", row["destination"],
                                        "failed", str(exc)[:500])
            self._ctx.audit.append(self._ctx.analyst, "pack.send_failed", f"pack:{ref}", {
                "ref": ref, "transport": "smtp", "to": row["destination"],
                "attempt": attempts, "error": str(exc)[:500], "next_attempt_at": retry})
        return SendResult(ref, "queued", "smtp", row["destination"],
                          f"not sent: {exc} Queued; next attempt after {retry}.",
                          attempts, retry)

    def _smtp_uncertain(self, row: sqlite3.Row, attempts: int, exc: Exception) -> SendResult:
        """Record an attempt interrupted after the data started: maybe delivered."""
        ref = row["ref"]
        with self._ctx.write():
            self._repo.update_pack(row["id"], {
                "attempts": attempts, "last_error": str(exc)[:500]})
            self._repo.add_attempt(row["id"], utc_now(), "smtp", row["destination"],
                                        "uncertain", str(exc)[:500])
            self._ctx.audit.append(self._ctx.analyst, "pack.send_uncertain", f"pack:{ref}", {
                "ref": ref, "to": row["destination"], "attempt": attempts,
                "message_id": row["message_id"], "error": str(exc)[:500]})
        return SendResult(ref, "uncertain", "smtp", row["destination"],
                          f"{exc} It will not be re-sent automatically: check with the "
                          "recipient, then confirm it was delivered, or resend it.", attempts)

    def _smtp_sent(self, row: sqlite3.Row, attempts: int, reply: str, *,
                   resend: bool) -> SendResult:
        """Record a delivered e-mail: the pack is ``sent``."""
        ref = row["ref"]
        now = utc_now()
        with self._ctx.write():
            self._repo.update_pack(row["id"], {
                "state": "sent", "attempts": attempts, "sent_at": now, "last_error": None,
                "next_attempt_at": None})
            self._repo.add_attempt(row["id"], now, "smtp", row["destination"], "sent", None)
            self._ctx.audit.append(self._ctx.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": "smtp", "to": row["destination"],
                "message_id": row["message_id"], "attempt": attempts, "server_reply": reply,
                "resend": resend, "sha256": row["file_sha256"]})
        return SendResult(ref, "sent", "smtp", row["destination"],
                          f"sent to {row['destination']} ({reply})", attempts)

    def _confirm_sent(self, row: sqlite3.Row) -> SendResult:
        ref = row["ref"]
        if row["state"] != "sending":
            raise OutboxError(f"{ref} is {row['state']}, not awaiting confirmation; "
                              "--confirm-sent settles only an interrupted e-mail send.")
        now = utc_now()
        with self._ctx.write():
            self._repo.update_pack(row["id"], {
                "state": "sent", "sent_at": row["sending_at"] or now, "last_error": None,
                "next_attempt_at": None})
            self._repo.add_attempt(row["id"], now, row["transport"] or "smtp",
                                        row["destination"], "confirmed", None)
            self._ctx.audit.append(self._ctx.analyst, "pack.send", f"pack:{ref}", {
                "ref": ref, "transport": row["transport"], "to": row["destination"],
                "message_id": row["message_id"], "confirmed_by_analyst": True})
        return SendResult(ref, "sent", row["transport"] or "smtp", row["destination"],
                          "recorded as sent (confirmed by the analyst)", row["attempts"])

    def _check_pack_file(self, row: sqlite3.Row) -> Path:
        if not row["file_name"] or row["state"] == "draft":
            raise OutboxError(f"{row['ref']} has not been sealed; build it again.")
        path = self._ctx.root / "outbox" / row["file_name"]
        if not path.is_file():
            raise OutboxError(f"The sealed file of {row['ref']} is missing from {path.parent}; "
                              "it cannot be sent (build a new pack).")
        from workstation.files import sha256_file

        if sha256_file(path) != row["file_sha256"]:
            raise OutboxError(f"The sealed file of {row['ref']} ({path}) has changed since it "
                              "was sealed; it is not sent. Build a new pack.")
        return path
