"""The agency's keys and platform contacts, through the real CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.core.packs import support as support
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    Template,
    copy_ws,
    write_age_identity,
)
from tests.issuer import ISSUER_FLAGS
from workstation.crypto import signing
from workstation.crypto.recipients import parse_recipient
from workstation.packs.models import AgencyKeyError
from workstation.workspace import Workspace

template = support.template  # fixture


def _audit_actions(ws: Path) -> list[str]:
    result = run_cli("audit", "--json", workspace=ws, check=True)
    return [e["action"] for e in json.loads(result.stdout)]


def test_key_init_export_rotate(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    missing = run_cli("key", "export", "--minisign", workspace=ws, env=CLI_ENV)
    assert missing.returncode == 1 and "workstation key init" in missing.stderr

    created = run_cli("key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS, workspace=ws,
                      env=CLI_ENV)
    assert created.returncode == 0, created.stderr
    assert "passphrase-encrypted files" in created.stdout
    secrets = sorted((ws / "secrets").iterdir())
    assert [p.name.split("-")[0] for p in secrets] == ["archive", "reply", "signing"]
    for path in secrets:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes().startswith(b"age-encryption.org/v1")
    database = (ws / "workspace.db").read_bytes()
    assert b"AGE-SECRET-KEY" not in database

    again = run_cli("key", "init", "--passphrase-env", PASS_ENV, workspace=ws, env=CLI_ENV)
    assert again.returncode == 1 and "already has an agency signing key" in again.stderr

    exported = run_cli("key", "export", "--minisign", workspace=ws, check=True)
    first = signing.parse_public_key(exported.stdout)
    assert exported.stdout.startswith("untrusted comment: ")
    summary = run_cli("key", "export", "--json", workspace=ws, check=True)
    assert json.loads(summary.stdout)["key_id"] == first.key_id_hex

    rotated = run_cli("key", "rotate", "--passphrase-env", PASS_ENV, "--json", workspace=ws,
                      env=CLI_ENV)
    assert rotated.returncode == 0, rotated.stderr
    keys = json.loads(rotated.stdout)
    signing_keys = [k for k in keys if k["kind"] == "signing"]
    assert [k["retired_at"] is None for k in signing_keys] == [False, True]
    assert signing_keys[0]["key_id"] == first.key_id_hex
    current = signing.parse_public_key(run_cli("key", "export", "--minisign", workspace=ws,
                                               check=True).stdout)
    assert current.key_id != first.key_id
    old = run_cli("key", "export", "--minisign", "--key-id", first.key_id_hex, workspace=ws,
                  check=True)
    assert signing.parse_public_key(old.stdout) == first
    assert [k["kind"] for k in keys].count("archive") == 1  # the archive key is kept
    actions = _audit_actions(ws)
    assert actions.count("key.create") == 1 and actions.count("key.rotate") == 1


def test_passphrase_problems_are_clear_and_secret_free(template: Template, tmp_path: Path) -> None:
    ws = copy_ws(template, tmp_path / "ws")
    unset = run_cli("key", "rotate", "--passphrase-env", "NO_SUCH_PASSPHRASE_VAR", workspace=ws,
                    env={**CLI_ENV})
    assert unset.returncode == 1 and "NO_SUCH_PASSPHRASE_VAR" in unset.stderr
    wrong = run_cli("key", "rotate", "--passphrase-env", PASS_ENV, workspace=ws,
                    env={**CLI_ENV, PASS_ENV: "not-the-passphrase-xyzzy"})
    assert wrong.returncode == 1 and "Wrong passphrase" in wrong.stderr
    assert "xyzzy" not in wrong.stderr + wrong.stdout and "Traceback" not in wrong.stderr
    keys = json.loads(run_cli("key", "list", "--json", workspace=ws, check=True).stdout)
    assert all(k["retired_at"] is None for k in keys)  # nothing changed


def test_contacts_add_verify_export_import(template: Template, tmp_path: Path) -> None:
    ws = copy_ws(template, tmp_path / "ws")
    age_recipient = write_age_identity(tmp_path / "x.txt")
    ssh = template.ssh_recipient

    def add(*recipients: str, email: str = "le@x.example") -> object:
        args = ["contact", "add", "--platform", "x", "--name", "X Law Enforcement Response",
                "--email", email, "--org", "X Corp", "--role", "LE liaison", "--json"]
        for r in recipients:
            args += ["--recipient", r]
        return run_cli(*args, workspace=ws)

    typo = add(age_recipient[:-1] + ("q" if age_recipient[-1] != "q" else "p"))
    assert typo.returncode == 1 and "checksum" in typo.stderr
    secret = "AGE-SECRET-KEY-1" + "Q" * 58
    private = add(secret)
    assert private.returncode == 1 and "PRIVATE key" in private.stderr
    assert secret not in private.stderr
    rsa = add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 someone@host")
    assert rsa.returncode == 1 and "RSA SSH keys" in rsa.stderr
    bad_mail = add(age_recipient, email="not-an-address")
    assert bad_mail.returncode == 1 and "not an e-mail address" in bad_mail.stderr

    good = add(age_recipient, ssh)
    assert good.returncode == 0, good.stderr
    contact = json.loads(good.stdout)
    assert contact["platform"] == "x" and contact["verified"] is False
    assert [r["fingerprint"] for r in contact["recipients"]] == [
        parse_recipient(age_recipient).fingerprint, parse_recipient(ssh).fingerprint]

    listed = json.loads(run_cli("contact", "list", "--json", workspace=ws, check=True).stdout)
    assert [c["id"] for c in listed][-1] == contact["id"] and len(listed) == 4
    human = run_cli("contact", "list", workspace=ws, check=True).stdout
    assert "NOT VERIFIED" in human and parse_recipient(ssh).fingerprint in human

    verified = run_cli("contact", "verify", str(contact["id"]), "--note", "called back on the "
                       "published number", "--json", workspace=ws,
                       env={"WORKSTATION_ANALYST": "Verifier"})
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["verified_by"] == "Verifier"

    export = tmp_path / "contacts.json"
    run_cli("contact", "export", str(export), workspace=ws, check=True)
    data = json.loads(export.read_text())
    assert data["format"] == "analyst-workstation-contacts" and len(data["contacts"]) == 4

    other = tmp_path / "other-ws"
    run_cli("init", str(other), check=True)
    imported = run_cli("contact", "import", str(export), "--json", workspace=other)
    assert imported.returncode == 0, imported.stderr
    rows = json.loads(imported.stdout)
    assert [r["status"] for r in rows] == ["imported"] * 4
    assert not any(r["verified"] for r in rows)  # verification is never imported
    again = json.loads(run_cli("contact", "import", str(export), "--json", workspace=other,
                               check=True).stdout)
    assert [r["status"] for r in again] == ["duplicate"] * 4

    data["contacts"][0]["recipients"][0]["fingerprint"] = "0000 0000 0000 0000 0000 0000 0000 0000"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    run_cli("init", str(tmp_path / "third"), check=True)
    refused = run_cli("contact", "import", str(tampered), workspace=tmp_path / "third")
    assert refused.returncode == 1 and "does not match its key" in refused.stderr

    actions = _audit_actions(ws)
    assert actions.count("contact.add") == 4 and actions.count("contact.verify") == 1
    assert _audit_actions(other).count("contact.add") == 4


def test_the_public_key_file_is_written_by_the_core(template: Template,
                                                    tmp_path: Path) -> None:
    """What Contacts and keys → Export public key writes, from the read-only workspace
    the window reads with: minisign's format, readable by all, atomically; an existing
    file kept unless asked; a failure one sentence."""
    with Workspace.open(copy_ws(template, tmp_path / "ws"), readonly=True) as ws:
        target = tmp_path / "out" / "agency.pub"
        text = ws.keys.write_public_key(target)
        assert target.read_text(encoding="utf-8") == text == ws.keys.export_public_key()
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        key = signing.parse_public_key(text)
        assert key.key_id_hex == ws.keys.signing_public_key().key_id_hex
        assert sorted(p.name for p in target.parent.iterdir()) == ["agency.pub"]  # no temp

        target.write_text("someone else's file")
        with pytest.raises(AgencyKeyError, match="already exists; choose another name"):
            ws.keys.write_public_key(target)
        assert target.read_text() == "someone else's file"
        ws.keys.write_public_key(target, overwrite=True)
        assert target.read_text(encoding="utf-8") == text

        blocked = tmp_path / "a-file"
        blocked.write_text("x")
        with pytest.raises(AgencyKeyError) as refused:
            ws.keys.write_public_key(blocked / "agency.pub")
        message = str(refused.value)
        assert message.startswith("Cannot write the public key file") and "\n" not in message
