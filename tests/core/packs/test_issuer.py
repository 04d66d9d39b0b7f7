"""The issuer identity (issue 13): never defaulted, checked, set up by ``key init`` (flags
or prompts on a terminal), required before sealing; and the trust anchor that travels
apart from packs (no ``.pub`` beside a delivered pack, the README naming the key id and
fingerprint, ``contact verify --export-key``)."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.core.packs import support as support
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    Template,
    copy_ws,
    open_ws,
    tool,
)
from tests.issuer import ISSUER_FLAGS, TEST_ISSUER
from workstation.crypto.age import decrypt_file
from workstation.packs.issuer import ISSUER_KEYS, IssuerNotSet
from workstation.settings import SETTINGS, InvalidSetting, check

sealed = support.sealed  # fixture
template = support.template  # fixture


# ------------------------------------------------------------------ settings
def test_no_issuer_setting_names_a_real_agency_by_default() -> None:
    for key in ISSUER_KEYS:
        assert SETTINGS[key].default == "", key
    text = " ".join(s.default + " " + s.help for s in SETTINGS.values())
    for borrowed in ("National Crime Agency", "NCA Control", "370 496 7622", "3704967622"):
        assert borrowed not in text


@pytest.mark.parametrize(("key", "raw", "stored"), [
    ("contact_24x7_phone", "+44 20 7946 0000", "+442079460000"),
    ("contact_24x7_phone", "0044 (20) 7946-0000", "+442079460000"),
    ("contact_24x7_email", " Control@Police.Example ", "Control@police.example"),
    ("reply_to", "outcomes@police.example", "outcomes@police.example"),
    ("agency_name", "  Test   Police Service ", "Test Police Service"),
])
def test_issuer_values_are_checked_and_normalized(key: str, raw: str, stored: str) -> None:
    assert check(key, raw) == stored


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("contact_24x7_phone", "020 7946 0000", "needs its country code"),
    ("contact_24x7_phone", "+44 12", "not a valid phone number"),
    ("contact_24x7_phone", "+44 call us", "not a phone number"),
    ("reply_to", "outcomes", "not an e-mail address"),
    ("contact_24x7_email", "desk@", "not an e-mail address"),
    ("agency_name", "-", "not a name"),
    ("issuing_unit", "U" * 121, "too long"),
])
def test_bad_issuer_values_are_refused(key: str, raw: str, message: str) -> None:
    with pytest.raises(InvalidSetting, match=message):
        check(key, raw)


def test_config_says_not_set_as_packs_read_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    assert run_cli("config", "agency_name", workspace=ws, check=True).stdout == "(not set)\n"
    one = json.loads(run_cli("config", "agency_name", "--json", workspace=ws,
                             check=True).stdout)
    assert one["value"] == "" and not one["set"]
    run_cli("config", "contact_24x7_phone", "+44 20 7946 0000", workspace=ws, check=True)
    assert run_cli("config", "contact_24x7_phone", workspace=ws,
                   check=True).stdout == "+442079460000\n"
    bad = run_cli("config", "reply_to", "nowhere", workspace=ws)
    assert bad.returncode == 2 and "not an e-mail address" in bad.stderr


# --------------------------------------------------------------- sealing
def test_sealing_is_refused_until_the_issuer_is_set(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    with open_ws(ws_dir) as ws:
        ws.set_setting("reply_to", "")
        ws.set_setting("contact_24x7_phone", "")
        with pytest.raises(IssuerNotSet) as refused:
            ws.packs.build(template.tiktok_age, template.captures[:1])
        assert refused.value.missing == ["contact_24x7_phone", "reply_to"]
        assert "workstation" not in str(refused.value)  # the window shows it too
        assert "reply address for outcomes (reply_to)" in str(refused.value)
        assert ws.packs.all() == [] and not list((ws_dir / "outbox").glob("*.age"))
    out = tmp_path / "out"
    out.mkdir()
    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    str(template.captures[0]), "-o", str(out), "--passphrase-env", PASS_ENV,
                    workspace=ws_dir, env=CLI_ENV)
    assert built.returncode == 1
    lines = built.stderr.strip().splitlines()
    assert len(lines) == 1, built.stderr
    assert "missing 24/7 contact's phone (contact_24x7_phone), reply address" in lines[0]
    assert ("workstation config contact_24x7_phone +CC_NUMBER; "
            "workstation config reply_to ADDRESS") in lines[0]
    assert not list(out.iterdir())


# ---------------------------------------------------------------- key init
def test_key_init_without_a_terminal_names_the_flags(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    refused = run_cli("key", "init", "--passphrase-env", PASS_ENV, workspace=ws, env=CLI_ENV)
    assert refused.returncode == 1
    for flag in ("--agency-name", "--issuing-unit", "--contact-name", "--contact-phone",
                 "--contact-email", "--reply-to"):
        assert flag in refused.stderr
    bad = run_cli("key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS[:-1], "nowhere",
                  workspace=ws, env=CLI_ENV)
    assert bad.returncode == 1 and "not an e-mail address" in bad.stderr
    listed = run_cli("key", "list", "--json", workspace=ws, check=True)
    assert json.loads(listed.stdout) == []  # no keys made, no setting stored
    assert run_cli("config", "agency_name", workspace=ws, check=True).stdout == "(not set)\n"

    phone = ISSUER_FLAGS.index("--contact-phone") + 1
    flags = [*ISSUER_FLAGS[:phone], "+44 20 7946 0000", *ISSUER_FLAGS[phone + 1:]]
    run_cli("key", "init", "--passphrase-env", PASS_ENV, *flags, workspace=ws, env=CLI_ENV,
            check=True)
    shown = {r["key"]: r["value"] for r in json.loads(
        run_cli("config", "--json", workspace=ws, check=True).stdout)}
    assert {k: shown[k] for k in ISSUER_KEYS} == TEST_ISSUER


def _run_on_a_terminal(argv: list[str], answers: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with standard input and error on a pseudo-terminal, typing ``answers``."""
    master, slave = pty.openpty()
    full_env = {**os.environ, **env}
    full_env.pop("WORKSTATION_HOME", None)
    proc = subprocess.Popen([sys.executable, "-m", "cli", *argv], stdin=slave, stderr=slave,
                            stdout=subprocess.PIPE, cwd=ROOT, env=full_env)
    os.close(slave)
    os.write(master, answers.encode())
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed its side
            break
        if not chunk:
            break
        seen += chunk
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, seen.decode(errors="replace") + out


def test_key_init_asks_for_the_issuer_on_a_terminal(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    answers = "\n".join(["Test Police Service", "Online Referrals Test Unit",
                         "Test Control Room", "12345", "+44 20 7946 0000",
                         "control@police.example", "outcomes@police.example"]) + "\n"
    status, seen = _run_on_a_terminal(["--workspace", str(ws), "key", "init",
                                       "--passphrase-env", PASS_ENV], answers, CLI_ENV)
    assert status == 0, seen
    assert "Agency name" in seen and "Reply address for outcomes" in seen
    assert "needs its country code" in seen  # the bad answer, asked again
    assert "Agency keys created" in seen
    shown = {r["key"]: r["value"] for r in json.loads(
        run_cli("config", "--json", workspace=ws, check=True).stdout)}
    assert {k: shown[k] for k in ISSUER_KEYS} == TEST_ISSUER


# ------------------------------------------------------------ trust anchors
def _signing_key(ws: Path) -> dict[str, str]:
    keys = json.loads(run_cli("key", "list", "--json", workspace=ws, check=True).stdout)
    (key,) = [k for k in keys if k["kind"] == "signing" and not k["retired_at"]]
    return key  # type: ignore[no-any-return]


def test_readme_names_the_key_to_check_against(sealed: Sealed, tmp_path: Path) -> None:
    key = _signing_key(sealed.ws)
    plain = tmp_path / "pack.zip"
    decrypt_file(sealed.file, plain, sealed.template.age_key)
    with zipfile.ZipFile(plain) as zf:
        readme = zf.read("README.txt").decode()
        manifest = json.loads(zf.read("manifest.json"))
    words = " ".join(readme.split())
    assert f"key id {key['key_id']} and fingerprint {key['fingerprint']};" in words
    assert "public key you received separately when your contact details were verified" \
        in words
    assert manifest["issuer"]["signing_key_id"] == key["key_id"]
    assert manifest["issuer"]["signing_key_fingerprint"] == key["fingerprint"]
    assert manifest["issuer"]["agency"] == TEST_ISSUER["agency_name"]
    assert manifest["issuer"]["contact_24x7"]["phone"] == TEST_ISSUER["contact_24x7_phone"]
    assert manifest["outcome_reporting"]["send_to"] == TEST_ISSUER["reply_to"]
    assert (f"Send outcomes.csv.age (and outcomes.csv.age.minisig) to: "
            f"{TEST_ISSUER['reply_to']}") in readme
    # the platform's own check of the fingerprint, as the README shows it
    pub = sealed.agency_pub.read_text().splitlines()[-1]
    digest = subprocess.run(["sha256sum"], input=pub, capture_output=True, text=True,
                            check=True).stdout[:32]
    assert " ".join(digest[i:i + 4] for i in range(0, 32, 4)) == key["fingerprint"]


def test_folder_delivery_places_no_public_key(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    with open_ws(ws_dir) as ws:
        pack = ws.packs.build(template.tiktok_age, template.captures[:1])
        drive = tmp_path / "usb"
        drive.mkdir()
        assert ws.outbox.send(pack.ref, via="folder", to=str(drive)).status == "sent"
    names = sorted(p.name for p in drive.iterdir())
    assert names == [f"{pack.ref}.README.txt", f"{pack.ref}.alertpack.age"]
    assert not list(drive.rglob("*.pub"))
    key = _signing_key(ws_dir)
    note = (drive / f"{pack.ref}.README.txt").read_text()
    assert key["key_id"] in note and key["fingerprint"] in note


def test_contact_verify_exports_the_key_that_verifies_packs(
        sealed: Sealed, tmp_path: Path) -> None:
    ws = copy_ws(sealed.template, tmp_path / "ws")
    contact = sealed.template.tiktok_age
    exported = tmp_path / "for-tiktok.pub"
    done = run_cli("contact", "verify", str(contact), "--note", "phone call", "--export-key",
                   str(exported), workspace=ws, env=CLI_ENV, check=True)
    key = _signing_key(ws)
    assert key["fingerprint"] in done.stdout and exported.is_file()
    assert exported.read_text() == sealed.agency_pub.read_text()  # the same agency key
    audit = json.loads(run_cli("audit", "--json", workspace=ws, check=True).stdout)
    (entry,) = [e for e in audit if e["action"] == "key.export"]
    assert entry["subject"] == f"contact:{contact}" and entry["analyst"] == "Test Analyst"
    assert entry["details"]["contact_id"] == contact
    assert entry["details"]["key_id"] == key["key_id"] and entry["at"]
    again = run_cli("contact", "verify", str(contact), "--export-key", str(exported),
                    workspace=ws, env=CLI_ENV)
    assert again.returncode == 1 and "already exists" in again.stderr

    # the platform checks a pack with the exported key and the standard tools
    work = tmp_path / "platform"
    work.mkdir()
    with open(work / "pack.zip", "wb") as out:
        subprocess.run([tool("age"), "-d", "-i", str(sealed.template.age_key),
                        str(sealed.file)], stdout=out, check=True)
    shutil.unpack_archive(work / "pack.zip", work / "pack", "zip")
    verified = subprocess.run([tool("minisign"), "-V", "-p", str(exported), "-m",
                               "SHA256SUMS"], cwd=work / "pack", capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert "Signature and comment signature verified" in verified.stdout
