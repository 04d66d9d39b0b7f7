"""The encrypted return path (issue 13): every pack names where outcomes go and the
agency's age reply recipient; the platform answers with the real ``age`` (and
``minisign``) CLIs; ``pack outcomes`` decrypts with the reply identity from the secret
store, checks the platform's signature against the contact's key on record, and
imports all or nothing.  Also: format version 2, and a version-1 pack still opens."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

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
    tool,
    write_age_identity,
)
from workstation.packs.format import members, spec
from workstation.packs.keys import KeyService
from workstation.packs.models import ContactError, OutcomeImportError
from workstation.packs.replies import ReplyKey
from workstation.storage import compact
from workstation.storage.sqlitelib import sqlite3

template = support.template  # fixture


def _cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--passphrase-env", PASS_ENV, workspace=ws, env=CLI_ENV)


def _minisign_keys(folder: Path, name: str) -> tuple[Path, Path]:
    """A platform's minisign key pair, made with the real CLI (unencrypted: -W)."""
    pub, sec = folder / f"{name}.pub", folder / f"{name}.key"
    subprocess.run([tool("minisign"), "-G", "-W", "-p", str(pub), "-s", str(sec)], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)
    return pub, sec


def _sign(sec: Path, file: Path, sig: Path | None = None) -> Path:
    out = sig or Path(f"{file}.minisig")
    subprocess.run([tool("minisign"), "-S", "-s", str(sec), "-m", str(file), "-x", str(out)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return out


def _age_encrypt(recipient: str, plain: Path, out: Path) -> Path:
    subprocess.run([tool("age"), "-r", recipient, "-o", str(out), str(plain)], check=True)
    return out


def _refused(ws: Path, *args: str) -> str:
    result = _cli(ws, "pack", "outcomes", *args)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr


def test_round_trip_with_the_real_tools(template: Template, tmp_path: Path) -> None:
    ws = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    platform = tmp_path / "platform"
    platform.mkdir()
    pub, sec = _minisign_keys(platform, "platform")

    built = _cli(ws, "pack", "build", "--contact", str(template.tiktok_age), "--captures",
                 f"{a},{b}", "--reason", "Crossing adverts", "-o", str(tmp_path), "--json")
    assert built.returncode == 0, built.stderr
    ref = json.loads(built.stdout)["ref"]
    drive = tmp_path / "usb"
    drive.mkdir()
    assert _cli(ws, "pack", "send", ref, "--via", "folder", "--to", str(drive)).returncode == 0
    keys = json.loads(run_cli("key", "list", "--json", workspace=ws, check=True).stdout)
    reply = [k["public"] for k in keys if k["kind"] == "reply" and not k["retired_at"]]
    assert len(reply) == 1 and reply[0].startswith("age1")
    listed = run_cli("key", "list", workspace=ws, check=True).stdout
    assert f"reply key    {reply[0]}  current" in listed

    # The platform: decrypt and unpack with the standard tools; read where to answer.
    zipped = platform / "pack.zip"
    subprocess.run([tool("age"), "-d", "-i", str(template.age_key), "-o", str(zipped),
                    str(drive / f"{ref}.alertpack.age")], check=True)
    with zipfile.ZipFile(zipped) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        readme = zf.read("README.txt").decode("utf-8")
    assert manifest["format_version"] == 2
    reporting = manifest["outcome_reporting"]
    assert reporting["send_to"] == "outcomes@police.example"
    assert reporting["reply_recipient"] == reply[0]
    command = f"age -r {reply[0]} -o outcomes.csv.age outcomes.csv"
    assert reporting["commands"]["encrypt"] == command
    assert command in readme and "minisign -S -s platform.key -m outcomes.csv.age" in readme
    assert "Send outcomes.csv.age (and outcomes.csv.age.minisig) to: outcomes@police.example" \
        in readme

    answer = platform / "outcomes.csv"
    answer.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                      f"{ref},{a},removed,2030-01-01T10:00:00Z,gone\r\n"
                      f"{ref},{b},no_violation,2030-01-01T11:00:00Z,\r\n")
    encrypted = _age_encrypt(reply[0], answer, platform / "outcomes.csv.age")

    # Signed, but the contact has no minisign key on record yet: cannot be checked.
    _sign(sec, encrypted)
    assert "no minisign key on record" in _refused(ws, str(encrypted))
    # Record the platform's key: from now on its replies must be signed with it.
    setkey = run_cli("contact", "set-minisign", str(template.tiktok_age), str(pub),
                     workspace=ws, env=CLI_ENV)
    assert setkey.returncode == 0, setkey.stderr
    shown = run_cli("contact", "list", "--json", workspace=ws, check=True).stdout
    contact = next(c for c in json.loads(shown) if c["id"] == template.tiktok_age)
    key_id = contact["minisign_key_id"]
    assert key_id and key_id in pub.read_text()
    assert f"key id {key_id}" in run_cli("contact", "list", workspace=ws, check=True).stdout
    # A key recorded after the contact was verified is not trusted until it is checked:
    # the contact reads as unverified and a signed reply is refused.
    assert contact["verified"] is False
    assert "has not been checked with the platform" in _refused(ws, str(encrypted))
    verified = run_cli("contact", "verify", str(template.tiktok_age), "--note", "call",
                       workspace=ws, env=CLI_ENV)
    assert verified.returncode == 0 and contact["minisign_fingerprint"] in verified.stdout

    # Refusals, each with its cause; nothing imported.
    unsigned = _age_encrypt(reply[0], answer, platform / "unsigned.csv.age")
    assert (f"Signed replies are required for contact #{template.tiktok_age}"
            in _refused(ws, str(unsigned)))
    _other_pub, other_sec = _minisign_keys(platform, "other")
    _sign(other_sec, unsigned)
    assert f"not with the expected key {key_id}" in _refused(ws, str(unsigned))
    reused = _age_encrypt(reply[0], answer, platform / "reused.csv.age")
    assert "does not match the file" in _refused(
        ws, str(reused), "--signature", f"{encrypted}.minisig")
    stranger = platform / "stranger.txt"
    _age_encrypt(write_age_identity(stranger), answer, platform / "wrong.csv.age")
    assert "not encrypted to any of this agency's reply keys" in _refused(
        ws, str(platform / "wrong.csv.age"))
    data = encrypted.read_bytes()
    truncated = platform / "truncated.csv.age"
    truncated.write_bytes(data[:-20])
    _sign(sec, truncated)
    assert "damaged, truncated or was altered" in _refused(ws, str(truncated))
    tampered = platform / "tampered.csv.age"
    tampered.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    _sign(sec, tampered)
    assert "damaged, truncated or was altered" in _refused(ws, str(tampered))
    big = platform / "big.csv.age"
    with open(big, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    assert "at most 20 MB" in _refused(ws, str(big))
    assert "does not exist" in _refused(ws, str(encrypted), "--signature", str(platform / "x"))
    shown_pack = json.loads(run_cli("pack", "show", ref, "--json", workspace=ws,
                                    check=True).stdout)
    assert shown_pack["state"] == "sent"
    assert {i["outcome"] for i in shown_pack["items"]} == {"pending"}

    # A first, partial answer as JSON under a name without .age: found by its header.
    partial = platform / "partial.json"
    partial.write_text(json.dumps([{"pack_ref": ref, "capture_id": a, "outcome": "pending"}]))
    odd_name = _age_encrypt(reply[0], partial, platform / "answer.dat")
    _sign(sec, odd_name)
    first = _cli(ws, "pack", "outcomes", str(odd_name), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["packs"] == {ref: "acknowledged"}

    _sign(sec, encrypted)  # the good signature again
    done = _cli(ws, "pack", "outcomes", str(encrypted))
    assert done.returncode == 0, done.stderr
    assert f"signature by key {key_id} verified" in done.stdout and f"{ref}: closed" in done.stdout
    stats = json.loads(run_cli("pack", "stats", "--json", workspace=ws, check=True).stdout)
    assert [(s["platform"], s["removed"], s["no_violation"]) for s in stats] == [
        ("tiktok", 1, 1)]

    conn = sqlite3.connect(ws / "workspace.db")
    compact.install(conn)  # the audit_log view reads compressed details
    rows = [json.loads(r[0]) for r in conn.execute(
        "SELECT details FROM audit_log WHERE action = 'pack.outcomes' ORDER BY seq")]
    conn.close()
    assert len(rows) == 2 and rows[-1]["signed_by"] == key_id
    assert rows[-1]["decrypted_with"] and rows[-1]["signature"] == "outcomes.csv.age.minisig"
    assert rows[-1]["file_sha256"] != rows[-1]["decrypted_sha256"]


def test_rotation_keeps_old_reply_keys_and_secrets_stay_secret(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    a, _b, _c = template.captures
    ws_dir = copy_ws(template, tmp_path / "ws")
    with open_ws(ws_dir) as ws:
        old = ws.keys.reply_recipient()
        pack = ws.packs.build(template.tiktok_age, [a])
        ws.outbox.send(pack.ref, via="folder", to=str(tmp_path))
        ws.keys.rotate()
        new = ws.keys.reply_recipient()
        assert new != old and new is not None
        kinds = [(k.kind, k.public, k.retired_at is None) for k in ws.keys.all()
                 if k.kind == "reply"]
        assert kinds == [("reply", old, False), ("reply", new, True)]
        secrets = [t for _k, t in ws.keys.reply_identities()]
        assert len(secrets) == 2 and all(t.startswith("AGE-SECRET-KEY-1") for t in secrets)
        answer = tmp_path / "outcomes.csv"
        answer.write_text(f"pack_ref,capture_id,outcome\n{pack.ref},{a},removed\n")
        # an answer to the older pack, encrypted to the reply key it named, still opens
        result = ws.outcomes.import_file(_age_encrypt(old, answer, tmp_path / "o.age"))
        assert result.packs == {pack.ref: "closed"} and result.decrypted_with is not None
    # the reply identities' secret halves are nowhere in plain text
    for path in ws_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not any(t.encode() in blob for t in secrets), path


def test_reply_key_made_on_first_need_for_older_workspaces(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace whose keys predate the reply identity (simulated: ``key init`` as
    it was, without one) gets one when its first pack is built."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    from tests.issuer import set_issuer

    with open_ws(tmp_path / "ws") as ws:
        set_issuer(ws)
        with monkeypatch.context() as patch:
            before = ReplyKey("age1-none-before-issue-13", "", "", "", "")
            patch.setattr(KeyService, "reply_keys", lambda self: [before])
            ws.keys.init()
        assert ws.keys.reply_keys() == [] and ws.keys.reply_recipient(create=False) is None
        recipient = ws.keys.reply_recipient()
        assert recipient is not None and recipient.startswith("age1")
        assert ws.keys.reply_recipient() == recipient  # made once
    conn = sqlite3.connect(tmp_path / "ws" / "workspace.db")
    compact.install(conn)
    details = [json.loads(r[0]) for r in conn.execute(
        "SELECT details FROM audit_log WHERE action = 'key.reply'")]
    conn.close()
    assert [d["reason"] for d in details] == ["first use"]
    assert not any("AGE-SECRET" in json.dumps(d) for d in details)


def test_contact_minisign_key_is_audited_and_guarded(template: Template, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    pub, _sec = _minisign_keys(tmp_path, "platform")
    ws_dir = copy_ws(template, tmp_path / "ws")
    with open_ws(ws_dir) as ws:
        line = ws.contacts.read_minisign_file(pub)
        added = ws.contacts.add("x", "X Safety", "le@x.example", [template.age_recipient],
                                minisign_key=pub.read_text())
        assert added.minisign_key == line and added.minisign_key_id in pub.read_text()
        with pytest.raises(ContactError, match="Not a minisign public key"):
            ws.contacts.set_minisign(added.id, "RWQnotakey")
        bad = tmp_path / "bad.pub"
        bad.write_text("untrusted comment: x\nAAAA\n")
        with pytest.raises(ContactError, match=r"bad\.pub"):
            ws.contacts.read_minisign_file(bad)
        exported = ws.contacts.export_text()
        assert line in exported
        assert ws.contacts.set_minisign(added.id, None).minisign_key is None
        assert ws.contacts.set_minisign(added.id, line).minisign_key == line
        assert ws.contacts.trusted(added.id).minisign_key == line
        fingerprint = ws.contacts.trusted(added.id).minisign_fingerprint
    # what the analyst reads back to the platform when verifying includes the signing key
    verified = run_cli("contact", "verify", str(added.id), "--note", "phone call",
                       workspace=ws_dir)
    assert verified.returncode == 0, verified.stderr
    assert fingerprint and fingerprint in verified.stdout and "minisign" in verified.stdout
    # a key swapped outside the application is never used to check a signature
    other, _ = _minisign_keys(tmp_path, "attacker")
    conn = sqlite3.connect(ws_dir / "workspace.db")
    with conn:
        conn.execute("UPDATE contacts SET minisign_key = ? WHERE id = ?",
                     (other.read_text().split("\n")[1], added.id))
    conn.close()
    with open_ws(ws_dir) as ws, pytest.raises(ContactError, match="minisign key"):
        ws.contacts.trusted(added.id)


def test_format_version_2_and_a_version_1_pack_still_opens(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    a, _b, _c = template.captures
    assert spec.FORMAT_VERSION == 2 and spec.SUPPORTED_FORMAT_VERSIONS == (1, 2)
    with open_ws(copy_ws(template, tmp_path / "ws")) as ws:
        with monkeypatch.context() as old:  # a pack as format version 1 wrote it
            old.setattr(spec, "FORMAT_VERSION", 1)
            old.setattr(members, "FORMAT_VERSION", 1)
            v1 = ws.packs.build(template.tiktok_age, [a], output=tmp_path / "v1.alertpack.age")
        v2 = ws.packs.build(template.tiktok_age, [a], output=tmp_path / "v2.alertpack.age")
        pub = tmp_path / "agency.pub"
        pub.write_text(ws.keys.export_public_key())
    for name, version in (("v1", 1), ("v2", 2)):
        out = tmp_path / f"open-{name}"
        verdict = run_cli("pack", "open", str(tmp_path / f"{name}.alertpack.age"),
                          "--identity", str(template.age_key), "--trust", str(pub),
                          "-o", str(out), "--json")
        assert verdict.returncode == 0, verdict.stdout + verdict.stderr
        opened = json.loads(verdict.stdout)
        assert opened["valid"] is True
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["format_version"] == version
        # pack open names where and how to answer, from the signed manifest
        assert opened["reply_recipient"] == manifest["outcome_reporting"]["reply_recipient"]
        assert opened["reply_to"] == manifest["outcome_reporting"]["send_to"]
        if version == 2:
            assert opened["reply_recipient"].startswith("age1")
            text = run_cli("pack", "open", str(tmp_path / f"{name}.alertpack.age"),
                           "--identity", str(template.age_key), "--trust", str(pub))
            assert f"age -r {opened['reply_recipient']} -o outcomes.csv.age" in text.stdout
    assert v1.ref != v2.ref


def test_plain_answers_still_import_and_errors_are_named(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    a, _b, _c = template.captures
    with open_ws(copy_ws(template, tmp_path / "ws")) as ws:
        pack = ws.packs.build(template.tiktok_age, [a])
        ws.outbox.send(pack.ref, via="folder", to=str(tmp_path))
        armored = tmp_path / "answer.asc"
        plain = tmp_path / "plain.csv"
        plain.write_text(f"pack_ref,capture_id,outcome\n{pack.ref},{a},pending\n")
        recipient = ws.keys.reply_recipient()
        assert recipient is not None
        subprocess.run([tool("age"), "-a", "-r", recipient, "-o", str(armored), str(plain)],
                       check=True)
        assert ws.outcomes.import_file(armored).decrypted_with is not None  # armoured age
        result = ws.outcomes.import_file(plain)  # unencrypted, no key on record: as before
        assert result.decrypted_with is None and result.signed_by is None
        garbage = tmp_path / "garbage.csv.age"
        garbage.write_bytes(b"age-encryption.org/v1\n-> X25519 nonsense\n")
        with pytest.raises(OutcomeImportError, match="damaged, truncated"):
            ws.outcomes.import_file(garbage)
