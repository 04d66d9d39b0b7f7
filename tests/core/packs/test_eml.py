"""``pack send REF --via eml --to DIR``: the exact message the SMTP transport sends, written
to DIR/REF.eml for a mail relay on another machine; the pack then counts as sent."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import shutil
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.core.packs import support as support
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    PASSPHRASE,
    Template,
    copy_ws,
    open_ws,
)
from tests.core.packs.test_outbox import free_port, tls  # noqa: F401 - fixture used by name
from workstation.packs.format.opening import open_pack
from workstation.packs.models import OutboxError

template = support.template  # fixture


@dataclass
class RawMailbox:
    """What a real SMTP server receives: the DATA bytes, as they came."""

    contents: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.contents.append(bytes(envelope.content))
        return "250 2.0.0 Message accepted for delivery"


@pytest.fixture(scope="module")
def eml_template(template: Template, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A workspace with one sealed pack and a sender address (no SMTP server needed)."""
    root = copy_ws(template, tmp_path_factory.mktemp("eml") / "ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, PASSPHRASE)
        with open_ws(root) as ws:
            ws.set_setting("smtp_from", "alerts@nca.example")
            ref = ws.packs.build(template.tiktok_age, template.captures[:2]).ref
    return root, ref


def _without_date(message: bytes) -> bytes:
    return re.sub(rb"(?m)^Date: [^\r\n]*\r\n", b"", message, count=1)


def test_eml_is_what_smtp_sends_and_the_pack_is_never_sent_twice(
        eml_template: tuple[Path, str], tls: tuple[Path, Path],  # noqa: F811
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller

    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    root, ref = eml_template
    by_eml, by_smtp = tmp_path / "eml-ws", tmp_path / "smtp-ws"  # the same pack, twice
    shutil.copytree(root, by_eml)
    shutil.copytree(root, by_smtp)
    relay = tmp_path / "relay"
    relay.mkdir()

    with open_ws(by_eml) as ws:
        with pytest.raises(OutboxError, match="--via eml needs --to"):
            ws.outbox.send(ref, via="eml")
        result = ws.outbox.send(ref, via="eml", to=str(relay))
        assert result.status == "sent" and result.transport == "eml", result
        pack = ws.packs.get(ref)
        assert (pack.state, pack.destination) == ("sent", str(relay))
        assert [(a["transport"], a["result"]) for a in ws.packs.attempts(ref)] == [
            ("eml", "sent")]
        assert pack.message_id == f"<{ref}.alertpack@nca.example>"
        for via, to in (("eml", str(relay)), ("folder", str(tmp_path)), ("smtp", None)):
            with pytest.raises(OutboxError, match="never sent twice"):
                ws.outbox.send(ref, via=via, to=to)
        sent = [e for e in ws.audit_entries() if e.action == "pack.send"]
        assert [e.details["transport"] for e in sent] == ["eml"]
        assert ws.verify().ok  # the trail replays the eml hand-over
        sha256 = pack.file_sha256
    assert [p.name for p in relay.iterdir()] == [f"{ref}.eml"]  # atomically: no temporary
    eml = (relay / f"{ref}.eml").read_bytes()
    assert sent[0].details["eml_sha256"] == hashlib.sha256(eml).hexdigest()

    # Python's parser reads it; the pack is attached byte for byte, and opens.
    message = email.message_from_bytes(eml, policy=email.policy.default)
    assert message["To"] == "ts@tiktok.example" and message["From"] == "alerts@nca.example"
    assert message["Message-ID"] == f"<{ref}.alertpack@nca.example>" and ref in message["Subject"]
    attachments = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    pack_bytes = attachments[f"{ref}.alertpack.age"]
    assert hashlib.sha256(pack_bytes).hexdigest() == sha256
    received = tmp_path / "received.age"
    received.write_bytes(pack_bytes)
    pub = tmp_path / "agency.pub"
    with open_ws(by_eml) as ws:
        pub.write_text(ws.keys.export_public_key())
    assert open_pack(received, template.age_key, pub, tmp_path / "opened").valid

    # The same pack by SMTP to a real server: the very same bytes but for the Date.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls[0]), str(tls[1]))
    mailbox = RawMailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port,
                            server_hostname="localhost", tls_context=context,
                            require_starttls=True)
    with open_ws(by_smtp) as ws:
        for key, value in (("smtp_host", "127.0.0.1"), ("smtp_port", str(port)),
                           ("smtp_security", "starttls"), ("smtp_cafile", str(tls[0])),
                           ("smtp_timeout", "10")):
            ws.set_setting(key, value)
        controller.start()
        try:
            assert ws.outbox.send(ref, via="smtp").status == "sent"
        finally:
            controller.stop()
    (smtp_bytes,) = mailbox.contents
    assert _without_date(smtp_bytes) == _without_date(eml)
    assert _without_date(eml) != eml  # a Date was there, and only it differs


def test_eml_through_the_cli(eml_template: tuple[Path, str], tmp_path: Path) -> None:
    root, ref = eml_template
    ws = tmp_path / "ws"
    shutil.copytree(root, ws)
    missing = run_cli("pack", "send", ref, "--via", "eml", "--to", str(tmp_path / "nowhere"),
                      workspace=ws, env=CLI_ENV)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    relay = tmp_path / "relay"
    relay.mkdir()
    done = run_cli("pack", "send", ref, "--via", "eml", "--to", str(relay), workspace=ws,
                   env=CLI_ENV)
    assert done.returncode == 0, done.stderr
    assert f"{ref}: sent" in done.stdout and (relay / f"{ref}.eml").is_file()
    again = run_cli("pack", "send", ref, "--via", "eml", "--to", str(relay), workspace=ws,
                    env=CLI_ENV)
    assert again.returncode == 1 and "never sent twice" in again.stderr
    shown = run_cli("pack", "show", ref, workspace=ws, env=CLI_ENV, check=True).stdout
    assert f"eml -> {relay}: sent" in shown
