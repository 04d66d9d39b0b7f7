"""Delivering sealed packs: to a folder (removable drive) or by e-mail (SMTP over TLS).

The state machine and the bookkeeping live in :mod:`workstation.packs.models`; this
module only moves bytes and reports what happened:

* :func:`deliver_to_folder` copies the pack and the recipient's instructions
  atomically (temporary name, fsync, rename) and re-reads the copy to check
  its SHA-256.
* :class:`SmtpSender` sends one message in explicit steps — connect, TLS,
  login, ``MAIL FROM``, ``RCPT TO`` — and only then calls back
  ``before_data`` (where the caller records *sending* durably) before the
  ``DATA`` command, so a failure before that point is certainly "not sent"
  and a failure after it is "maybe sent" (:class:`MaybeSent`), never retried
  blindly.  Every message of a pack carries the same Message-ID, derived from
  the pack reference, so a duplicate that a person chooses to send is
  recognisable as one by the recipient's mail system.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from workstation.errors import WorkstationError
from workstation.files import AtomicFile, atomic_copy, atomic_text, fsync_dir, sha256_file
from workstation.settings import SETTINGS, SMTP_PORTS

#: Retry delays: 1, 2, 4 ... minutes, at most 1 hour.
BACKOFF_BASE_S = 60
BACKOFF_MAX_S = 3600
DEFAULT_MAX_MB = int(SETTINGS["smtp_max_mb"].default)
SECURITY_MODES = tuple(SMTP_PORTS)


class DeliveryError(WorkstationError):
    """A delivery attempt failed; the pack was certainly not delivered by it."""


class MaybeSent(WorkstationError):
    """The connection failed after the message data started: it may have been delivered."""


def backoff_seconds(attempts: int) -> int:
    """Delay before the next attempt after ``attempts`` failed ones."""
    return int(min(BACKOFF_MAX_S, BACKOFF_BASE_S * (2 ** max(0, attempts - 1))))


def next_attempt_at(attempts: int, now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)) + timedelta(seconds=backoff_seconds(attempts))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_id_for(ref: str, sender: str) -> str:
    """The pack's stable Message-ID: the same for every attempt of the same pack."""
    domain = sender.rpartition("@")[2].strip().strip(">") or "alertpack.invalid"
    safe = "".join(c for c in ref if c.isalnum() or c in "-._")
    return f"<{safe}.alertpack@{domain}>"


# ---------------------------------------------------------------------------
# Folder


@dataclass(frozen=True, slots=True)
class FolderDelivery:
    pack_path: Path
    readme_path: Path
    sha256: str


def deliver_to_folder(pack_file: Path, expected_sha256: str, folder: Path, readme: str,
                      ref: str) -> FolderDelivery:
    """Copy the pack and its instructions into ``folder``.  Never the agency's public key:
    a key that travels with the pack proves nothing, so the platform checks the pack
    against the key it received when its contact details were verified (the README names
    that key's id and fingerprint)."""
    if not folder.is_dir():
        raise DeliveryError(f"The folder {str(folder)!r} does not exist (is the drive mounted?).")
    dest = folder / pack_file.name
    if dest.exists():
        raise DeliveryError(f"{str(dest)!r} already exists; the pack is not copied over it.")
    try:
        written = atomic_copy(pack_file, dest)
        if written != expected_sha256:
            dest.unlink()
            raise DeliveryError(
                f"The pack file in the outbox has changed since it was sealed (SHA-256 "
                f"{written}, expected {expected_sha256}); nothing was delivered.")
        copied = sha256_file(dest)
        if copied != expected_sha256:
            dest.unlink()
            raise DeliveryError(
                f"The copy in {str(folder)!r} does not read back correctly (SHA-256 {copied}); "
                "the drive may be failing. Nothing was delivered.")
        readme_path = folder / f"{ref}.README.txt"
        atomic_text(readme_path, readme)
        with contextlib.suppress(OSError):
            fsync_dir(folder)
    except OSError as exc:
        raise DeliveryError(f"Cannot write to {str(folder)!r}: {exc.strerror}.") from None
    return FolderDelivery(dest, readme_path, copied)


# ---------------------------------------------------------------------------
# SMTP


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | ssl
    sender: str
    user: str | None = None
    cafile: str | None = None
    timeout: float = 30.0
    max_bytes: int = DEFAULT_MAX_MB * (1 << 20)


def build_message(*, sender: str, to: str, subject: str, body: str, message_id: str,
                  attachment: Path, attachment_name: str,
                  extra: list[tuple[str, bytes, str]] | None = None) -> EmailMessage:
    """A plain-text cover note with the pack (and small extras) attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    msg.add_attachment(attachment.read_bytes(), maintype="application", subtype="octet-stream",
                       filename=attachment_name)
    for name, data, mime in extra or []:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    # A boundary of the pack's own (not a random one): every rendering of the message --
    # each SMTP attempt, the .eml for a relay -- is then the same bytes but for the Date.
    msg.set_boundary(f"alertpack-{hashlib.sha256(message_id.encode()).hexdigest()[:32]}")
    return msg


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes out: CRLF line ends (RFC 5322; smtplib does not convert
    bytes, RFC 5321 4.5.3.1.6), as sent by SMTP and as written to a ``.eml`` file."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def write_eml(message: EmailMessage, target: Path) -> str:
    """Write ``message`` (:func:`message_bytes`) to ``target`` atomically, never over an
    existing file; return the SHA-256 of the bytes written."""
    folder = target.parent
    if not folder.is_dir():
        raise DeliveryError(f"The folder {str(folder)!r} does not exist (is the drive mounted?).")
    if target.exists() or target.is_symlink():
        raise DeliveryError(f"{str(target)!r} already exists; the message is not written "
                            "over it.")
    for stale in folder.glob(f".{target.name}.*.tmp"):  # what a killed run of ours left
        stale.unlink(missing_ok=True)
    data = message_bytes(message)
    out = AtomicFile(target, 0o644, make_parents=False, folder_sync_required=False)
    try:
        out.file.write(data)
        out.commit()
    except BaseException:
        out.discard()
        raise
    return hashlib.sha256(data).hexdigest()


class SmtpSender:
    """One SMTP delivery with the 'before DATA' hook (see the module docstring)."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        if settings.security not in SECURITY_MODES:
            raise DeliveryError(
                f"smtp_security must be one of {', '.join(SECURITY_MODES)}, not "
                f"{settings.security!r}; mail is never sent without TLS.")
        self.settings = settings
        self._password = password

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.settings.cafile or None)
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(
                f"Cannot load the TLS certificate authority {self.settings.cafile!r}: {exc}."
            ) from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self._context()
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{s.host}:{s.port} does not offer STARTTLS; mail is never sent in the "
                        "clear.")
                smtp.starttls(context=context)
                smtp.ehlo()
            except BaseException:
                with contextlib.suppress(Exception):
                    smtp.close()
                raise
        return smtp

    def send(self, message: EmailMessage, recipients: list[str],
             before_data: Callable[[], None]) -> str:
        """Deliver ``message``; return the server's reply to DATA.

        Raises :class:`DeliveryError` when it certainly was not delivered and
        :class:`MaybeSent` when it may have been.
        """
        s = self.settings
        data = message_bytes(message)  # the very bytes a .eml of it holds
        if len(data) > s.max_bytes:
            size = (f"The message is {len(data) / 1e6:.1f} MB, above the "
                    f"{s.max_bytes / 1e6:.0f} MB limit")
            raise DeliveryError(
                f"{size} (config smtp_max_mb); deliver this pack with --via folder instead.",
                window=f"{size}; deliver this pack with Export to folder… in the outbox "
                       "instead.")
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise DeliveryError(f"Cannot connect to {s.host}:{s.port}: {_reason(exc)}.") \
                from None
        data_started = False
        try:
            smtp.ehlo_or_helo_if_needed()
            if s.user:
                if self._password is None:
                    raise DeliveryError(
                        "smtp_user is set but no SMTP password is stored.",
                        how="key smtp-password")
                smtp.login(s.user, self._password)
            code, reply = smtp.mail(s.sender)
            if code != 250:
                raise DeliveryError(f"The server refused the sender: {code} {_text(reply)}")
            for rcpt in recipients:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    raise DeliveryError(f"The server refused {rcpt}: {code} {_text(reply)}")
            before_data()
            data_started = True
            code, reply = smtp.data(data)
            if code != 250:
                # A definite refusal of the message: not delivered.
                raise DeliveryError(f"The server refused the message: {code} {_text(reply)}")
            with contextlib.suppress(Exception):
                smtp.quit()
            return f"{code} {_text(reply)}"
        except DeliveryError:
            with contextlib.suppress(Exception):
                smtp.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            with contextlib.suppress(Exception):
                smtp.close()
            raise DeliveryError(f"The SMTP login was refused ({exc.smtp_code}).") from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            with contextlib.suppress(Exception):
                smtp.close()
            if data_started:
                raise MaybeSent(
                    f"The connection to {s.host} failed while the message was being sent "
                    f"({_reason(exc)}); it may or may not have been delivered.") from None
            raise DeliveryError(f"Sending through {s.host}:{s.port} failed: {_reason(exc)}.") \
                from None


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (no server, or offline)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return (str(exc) or type(exc).__name__).rstrip(".")
