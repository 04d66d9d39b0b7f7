"""The outbox: folder delivery, SMTP over TLS on loopback (offline, then online), a crash
between sending and recording, the platform's outcomes, and per-platform figures."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.core.packs import support as support
from tests.core.packs.support import (
    PASS_ENV,
    PASSPHRASE,
    Template,
    copy_ws,
    open_ws,
)
from workstation.packs.format.opening import open_pack
from workstation.packs.models import OutboxError, OutcomeImportError
from workstation.workspace import Workspace

SMTP_USER, SMTP_PASSWORD = "alerts", "smtp-secret-Pa55"

template = support.template  # fixture


# ------------------------------------------------------------------ TLS + server


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, made with `cryptography`."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 2.0.0 Message accepted for delivery"


class Server:
    """A real aiosmtpd server on 127.0.0.1 with STARTTLS (or implicit TLS) and AUTH."""

    def __init__(self, tls: tuple[Path, Path], port: int, implicit: bool = False) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                          data: Any) -> AuthResult:
            ok = (data.login, data.password) == (SMTP_USER.encode(), SMTP_PASSWORD.encode())
            return AuthResult(success=ok)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        self.mailbox = Mailbox()
        options: dict[str, Any] = {"authenticator": authenticator, "auth_require_tls": True}
        if implicit:  # aiosmtpd only counts STARTTLS as TLS for AUTH; this session is TLS
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=port,
                                     server_hostname="localhost", **options)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self.mailbox

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def smtp_template(template: Template, tls: tuple[Path, Path],
                  tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A workspace with one sealed pack, SMTP settings and the SMTP password stored.

    smtp_user is left empty (no AUTH, so no secret to unlock) except where a test sets it.
    """
    root = copy_ws(template, tmp_path_factory.mktemp("smtp") / "ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, PASSPHRASE)
        with open_ws(root) as ws:
            for key, value in (("smtp_host", "127.0.0.1"), ("smtp_security", "starttls"),
                               ("smtp_user", SMTP_USER), ("smtp_from", "alerts@nca.example"),
                               ("smtp_cafile", str(tls[0])), ("smtp_timeout", "10")):
                ws.set_setting(key, value)
            ws.keys.set_smtp_password(SMTP_PASSWORD)
            ws.set_setting("smtp_user", "")
            ref = ws.packs.build(template.tiktok_age, template.captures[:2],
                                priority="urgent").ref
    return root, ref


@pytest.fixture
def smtp_ws(smtp_template: tuple[Path, str], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Workspace, str, int]]:
    """A copy of the SMTP workspace whose server port is a free loopback port."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    root = tmp_path / "ws"
    shutil.copytree(smtp_template[0], root)
    ws = open_ws(root)
    port = free_port()
    ws.set_setting("smtp_port", str(port))
    try:
        yield ws, smtp_template[1], port
    finally:
        ws.close()


# ------------------------------------------------------------------------ tests


def test_smtp_offline_then_online_sends_exactly_once(
    smtp_ws: tuple[Workspace, str, int], tls: tuple[Path, Path], template: Template,
    tmp_path: Path,
) -> None:
    ws, ref, port = smtp_ws
    ws.set_setting("smtp_user", SMTP_USER)  # log in (after STARTTLS) with the stored password
    offline = ws.outbox.send(ref, via="smtp")
    assert offline.status == "queued" and "connection refused" in offline.message
    pack = ws.packs.get(ref)
    assert pack.state == "queued" and pack.attempts == 1 and pack.last_error
    assert pack.next_attempt_at and pack.next_attempt_at > pack.created_at
    assert ws.outbox.send_queued() == []  # not due yet: backoff
    with Server(tls, port) as mailbox:
        results = ws.outbox.send_queued(ignore_backoff=True)
        assert [(r.ref, r.status) for r in results] == [(ref, "sent")], results
        assert ws.outbox.send_queued(ignore_backoff=True) == []
        with pytest.raises(OutboxError, match="never sent twice"):
            ws.outbox.send(ref)
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["Message-ID"] == f"<{ref}.alertpack@nca.example>"
    assert ref in message["Subject"] and "OFFICIAL-SENSITIVE" in message["Subject"]
    assert message["To"] == "ts@tiktok.example"
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    pack_bytes = attachments[f"{ref}.alertpack.age"]
    assert hashlib.sha256(pack_bytes).hexdigest() == ws.packs.get(ref).file_sha256
    body = message.get_body(("plain",))
    assert body is not None and "age -d -i key.txt" in body.get_content()
    received = tmp_path / "received.age"
    received.write_bytes(pack_bytes)
    # the agency's key never travels with the pack: the platform has it from verification
    assert set(attachments) == {f"{ref}.alertpack.age"}
    pub = tmp_path / "agency.pub"
    pub.write_text(ws.keys.export_public_key())
    assert open_pack(received, template.age_key, pub).valid
    sent = ws.packs.get(ref)
    assert sent.state == "sent" and sent.attempts == 2 and sent.last_error is None
    assert [a["result"] for a in ws.packs.attempts(ref)] == ["failed", "sent"]
    actions = [e.action for e in ws.audit_entries()]
    for action in ("smtp.password", "pack.queue", "pack.send_failed", "pack.sending",
                   "pack.send"):
        assert action in actions
    assert SMTP_PASSWORD not in (ws.root / "workspace.db").read_bytes().decode("latin-1")
    assert ws.verify().ok  # queued, failed, sending and sent all replay from the trail


def test_smtps_and_untrusted_certificates(
    smtp_ws: tuple[Workspace, str, int], tls: tuple[Path, Path]
) -> None:
    ws, ref, port = smtp_ws
    ws.set_setting("smtp_security", "ssl")
    ws.set_setting("smtp_cafile", "")  # the system CAs do not trust our self-signed cert
    with Server(tls, port, implicit=True) as mailbox:
        refused = ws.outbox.send(ref, via="smtp")
        assert refused.status == "queued" and "not trusted" in refused.message
        ws.set_setting("smtp_cafile", str(tls[0]))
        again = ws.outbox.send(ref)
        assert again.status == "sent", again
    assert len(mailbox.messages) == 1


CRASH = textwrap.dedent("""
    import os, sys
    from workstation.storage.packs_repo import PacksRepo
    from workstation.workspace import Workspace

    update = PacksRepo.update_pack

    def crash_when_recording_sent(self, pack_id, values):
        if values.get("state") == "sent":
            os._exit(9)  # the process dies after the server said 250, before the commit
        return update(self, pack_id, values)

    PacksRepo.update_pack = crash_when_recording_sent
    ws = Workspace.open(sys.argv[1])
    ws.keys.use_secrets(passphrase_env=sys.argv[3], backend="file")
    ws.outbox.send(sys.argv[2], via="smtp")
""")


def test_crash_between_send_and_record_never_sends_twice(
    smtp_ws: tuple[Workspace, str, int], tls: tuple[Path, Path]
) -> None:
    ws, ref, port = smtp_ws
    root = ws.root
    ws.close()
    with Server(tls, port) as mailbox:
        crashed = subprocess.run([sys.executable, "-c", CRASH, str(root), ref, PASS_ENV],
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert crashed.returncode == 9, crashed.stderr
        assert len(mailbox.messages) == 1  # delivered, but not recorded
        with open_ws(root) as again:
            pack = again.packs.get(ref)
            assert pack.state == "sending"
            results = again.outbox.send_queued(ignore_backoff=True)
            assert [(r.ref, r.status) for r in results] == [(ref, "uncertain")]
            with pytest.raises(OutboxError, match="may already have been delivered"):
                again.outbox.send(ref)
            assert len(mailbox.messages) == 1  # nothing was sent again
            confirmed = again.outbox.send(ref, confirm_sent=True)
            assert confirmed.status == "sent" and again.packs.get(ref).state == "sent"
            assert again.packs.get(ref).sent_at == pack.sent_at or again.packs.get(ref).sent_at
            assert again.verify().ok  # sending, uncertain and confirmed replay too
        assert len(mailbox.messages) == 1
    first_id = mailbox.messages[0]["Message-ID"]
    assert first_id == f"<{ref}.alertpack@nca.example>"


def test_an_interrupted_send_can_be_resent_with_the_same_message_id(
    smtp_ws: tuple[Workspace, str, int], tls: tuple[Path, Path]
) -> None:
    ws, ref, port = smtp_ws
    root = ws.root
    ws.close()
    with Server(tls, port) as mailbox:
        subprocess.run([sys.executable, "-c", CRASH, str(root), ref, PASS_ENV], cwd=ROOT,
                       capture_output=True, timeout=120)
        with open_ws(root) as again:
            assert again.outbox.send(ref, resend=True).status == "sent"
            assert [a["result"] for a in again.packs.attempts(ref)] == ["sent"]
            assert "pack.sending" in [e.action for e in again.audit_entries()]
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_folder_delivery_and_outcomes(template: Template, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    a, b, c = template.captures
    with open_ws(copy_ws(template, tmp_path / "ws")) as ws:
        first = ws.packs.build(template.tiktok_age, [a, b])
        second = ws.packs.build(template.facebook, [c])
        with pytest.raises(OutboxError, match="--via folder needs --to"):
            ws.outbox.send(first.ref, via="folder")
        with pytest.raises(OutboxError, match="No transport"):
            ws.outbox.send(first.ref)
        drive = tmp_path / "usb"
        drive.mkdir()
        result = ws.outbox.send(first.ref, via="folder", to=str(drive))
        assert result.status == "sent"
        names = sorted(p.name for p in drive.iterdir())
        # never the agency's public key beside the pack (it travels apart)
        assert names == [f"{first.ref}.README.txt", f"{first.ref}.alertpack.age"]
        copied = (drive / f"{first.ref}.alertpack.age").read_bytes()
        assert hashlib.sha256(copied).hexdigest() == first.file_sha256
        assert "minisign -V -p agency.pub -m SHA256SUMS" in (
            drive / f"{first.ref}.README.txt").read_text()
        assert ws.packs.get(first.ref).state == "sent"
        with pytest.raises(OutboxError, match="never sent twice"):
            ws.outbox.send(first.ref, via="folder", to=str(drive))
        ws.outbox.send(second.ref, via="folder", to=str(tmp_path))

        sent_at = dt.datetime.fromisoformat(ws.packs.get(first.ref).sent_at.replace("Z", "+00:00"))
        later = (sent_at + dt.timedelta(hours=5)).isoformat().replace("+00:00", "Z")
        partial = tmp_path / "answer1.csv"
        partial.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                           f"{first.ref},{a},removed,{later},account banned\r\n"
                           f"{first.ref},{b},pending,,\r\n")
        summary = ws.outcomes.import_file(partial)
        assert summary.rows == 2 and summary.packs == {first.ref: "acknowledged"}
        items = {i.capture_id: i for i in ws.packs.get(first.ref).items}
        assert items[a].outcome == "removed" and items[a].outcome_comment == "account banned"

        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps([
            {"pack_ref": "NCA-AP-1999-000001", "capture_id": a, "outcome": "removed"},
            {"pack_ref": first.ref, "capture_id": c, "outcome": "removed"},
            {"pack_ref": first.ref, "capture_id": b, "outcome": "deleted"},
            {"pack_ref": first.ref, "capture_id": b, "outcome": "removed", "time": "yesterday"},
        ]))
        with pytest.raises(OutcomeImportError) as problems:
            ws.outcomes.import_file(bad)
        text = str(problems.value)
        assert "4 problem(s)" in text and "nothing was imported" in text
        assert "row 1: unknown pack reference 'NCA-AP-1999-000001'" in text
        assert f"row 2: capture #{c} is not an item of {first.ref}" in text
        assert "row 3: unknown outcome 'deleted'" in text and "row 4:" in text
        assert ws.packs.get(first.ref).state == "acknowledged"

        rest = tmp_path / "answer2.json"
        rest.write_text(json.dumps({"outcomes": [
            {"pack_ref": first.ref, "capture_id": b, "outcome": "no violation",
             "time": later},
            {"pack_ref": second.ref, "capture_id": c, "outcome": "restricted",
             "time": (sent_at + dt.timedelta(hours=1)).isoformat()},
        ]}))
        assert ws.outcomes.import_file(rest).packs == {first.ref: "closed", second.ref: "closed"}
        assert ws.packs.get(first.ref).closed_at is not None
        stats = {s.platform: s for s in ws.outcomes.stats()}
        assert stats["tiktok"].packs_sent == 1 and stats["tiktok"].items == 2
        assert stats["tiktok"].removed == 1 and stats["tiktok"].no_violation == 1
        assert stats["tiktok"].removal_rate == 0.5
        assert stats["tiktok"].median_hours_to_action == pytest.approx(5.0, abs=0.01)
        assert stats["facebook"].restricted == 1 and stats["facebook"].removal_rate == 0.0
        actions = [e.action for e in ws.audit_entries()]
        assert actions.count("pack.outcomes") == 3 and actions.count("pack.send") == 2
        assert ws.verify().ok
