"""Colleagues (other analysts' workspaces, kept like contacts) and ``key export --age``:
through the real CLI between two workspaces, the refusals, and ``verify`` replaying the
``colleagues`` table against the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import run_cli
from tests.issuer import ISSUER_FLAGS
from workstation.crypto import signing
from workstation.errors import NotFound
from workstation.exchange.colleagues import ColleagueError
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

PASS_ENV = "WS_TEST_COLLEAGUE_PASSPHRASE"
#: File secret store (never a developer's keyring), a passphrase, a named analyst.
ENV = {PASS_ENV: "correct horse battery staple", "WORKSTATION_SECRET_BACKEND": "file",
       "WORKSTATION_ANALYST": "Test Analyst"}


def _cli(ws: Path, *args: str) -> str:
    return run_cli(*args, workspace=ws, env=ENV, check=True).stdout


def _refused(ws: Path, *args: str) -> str:
    """The one-line error of a refused command (exit 1, no traceback)."""
    result = run_cli(*args, workspace=ws, env=ENV)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def _with_keys(ws: Path) -> Path:
    _cli(ws, "init")
    _cli(ws, "key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS)
    return ws


def _verify(ws: Path) -> list[dict[str, str]]:
    result = run_cli("verify", "--json", workspace=ws, env=ENV)
    assert "Traceback" not in result.stderr
    problems: list[dict[str, str]] = json.loads(result.stdout)["problems"]
    assert (result.returncode == 0) == (not problems)
    return problems


def _age_recipient() -> str:
    return str(pyrage.x25519.Identity.generate().to_public())


def _minisign_file(path: Path) -> Path:
    path.write_text(signing.generate_key().public_key().minisign_text(), encoding="utf-8")
    return path


def _execute(ws: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(str(ws / "workspace.db"))
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def test_two_workspaces_exchange_keys(tmp_path: Path) -> None:
    a, b = _with_keys(tmp_path / "a"), _with_keys(tmp_path / "b")
    age_line = _cli(b, "key", "export", "--age")
    assert age_line.endswith("\n") and len(age_line.splitlines()) == 1
    (tmp_path / "b.age").write_text(age_line, encoding="utf-8")
    (tmp_path / "b.pub").write_text(_cli(b, "key", "export", "--minisign"), encoding="utf-8")
    b_keys = json.loads(_cli(b, "key", "list", "--json"))
    archive = next(k for k in b_keys if k["kind"] == "archive")
    signing_key = next(k for k in b_keys if k["kind"] == "signing" and not k["retired_at"])
    assert age_line.strip() == archive["public"]

    added = json.loads(_cli(a, "colleague", "add", "--name", "Bob Smith", "--recipient",
                            (tmp_path / "b.age").read_text().strip(),
                            "--minisign", str(tmp_path / "b.pub"), "--json"))
    listed = json.loads(_cli(a, "colleague", "list", "--json"))
    assert listed == [added]
    bob = listed[0]
    assert (bob["name"], bob["recipient"], bob["removed"]) == ("Bob Smith", archive["public"],
                                                               False)
    assert bob["fingerprint"] == archive["fingerprint"]
    assert bob["minisign_id"] == signing_key["key_id"]
    assert bob["minisign_fingerprint"] == signing_key["fingerprint"]
    shown = _cli(a, "colleague", "list")
    assert archive["fingerprint"] in shown and signing_key["fingerprint"] in shown
    assert signing_key["key_id"] in shown

    duplicate = _refused(a, "colleague", "add", "--name", "Bob again", "--recipient",
                         age_line.strip().upper(), "--minisign", str(tmp_path / "b.pub"))
    assert f"colleague #{bob['id']} (Bob Smith)" in duplicate
    assert _verify(a) == []

    removed = json.loads(_cli(a, "colleague", "remove", str(bob["id"]), "--json"))
    assert removed["removed"] and removed["removed_at"]
    assert json.loads(_cli(a, "colleague", "list", "--json")) == []
    assert [c["id"] for c in json.loads(_cli(a, "colleague", "list", "--all", "--json"))] \
        == [bob["id"]]
    assert "already removed" in _refused(a, "colleague", "remove", str(bob["id"]))
    again = json.loads(_cli(a, "colleague", "add", "--name", "Bob Smith", "--recipient",
                            age_line.strip(), "--minisign", str(tmp_path / "b.pub"), "--json"))
    assert again["id"] != bob["id"]
    assert _verify(a) == []
    actions = [e["action"] for e in json.loads(_cli(a, "audit", "--json"))]
    assert actions.count("colleague.add") == 2 and actions.count("colleague.remove") == 1


def test_refusals_are_one_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _cli(ws, "init")
    no_keys = _refused(ws, "key", "export", "--age")
    assert "workstation key init" in no_keys
    both = run_cli("key", "export", "--age", "--minisign", workspace=ws, env=ENV)
    assert both.returncode == 2 and "not allowed with" in both.stderr

    pub = _minisign_file(tmp_path / "c.pub")
    good = _age_recipient()
    identity = str(pyrage.x25519.Identity.generate())

    def add(recipient: str, minisign: Path = pub, name: str = "Carol") -> str:
        return _refused(ws, "colleague", "add", "--name", name, "--recipient", recipient,
                        "--minisign", str(minisign))

    assert "checksum" in add(good[:-1] + ("q" if good[-1] != "q" else "p"))
    private = add(identity)
    assert "PRIVATE key" in private and identity not in private
    ssh_key = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
    assert "not an SSH key" in add(f"{ssh_key} carol@example")
    garbage = tmp_path / "garbage.pub"
    garbage.write_bytes(b"untrusted comment: nothing\nnot base64 at all!!\n")
    assert "Not a minisign public key" in add(good, garbage)
    secret_key = tmp_path / "secret.key"
    secret_key.write_text("untrusted comment: minisign encrypted secret key\n"
                          + "RWRTY0Iy" + "A" * 204 + "\n")
    assert "is it a public key?" in add(good, secret_key)
    assert "cannot read" in add(good, tmp_path / "missing.pub").lower()
    assert "must not be empty" in add(good, name="   ")
    assert json.loads(_cli(ws, "colleague", "list", "--json")) == []
    assert "no colleague #7" in _refused(ws, "colleague", "remove", "7").lower()


def test_verify_finds_rows_changed_outside(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    pub = _minisign_file(tmp_path / "d.pub")
    with Workspace.open(root) as ws:
        minisign = ws.colleagues.read_minisign_file(pub)
        dora = ws.colleagues.add("Dora", _age_recipient(), minisign)
        eve = ws.colleagues.add("Eve", _age_recipient(),
                                _minisign_file(tmp_path / "e.pub").read_text())
    assert _verify(root) == []

    _execute(root, "UPDATE colleagues SET recipient = ? WHERE id = ?", _age_recipient(),
             dora.id)
    problems = _verify(root)
    assert {p["kind"] for p in problems} == {"record-altered"}
    assert all(f"colleague #{dora.id}" in p["message"] for p in problems)
    assert any("recipient is" in p["message"] for p in problems)
    with Workspace.open(root) as ws:
        with pytest.raises(ColleagueError, match="changed outside the application"):
            ws.colleagues.get_many([dora.id])
        assert ws.colleagues.trusted_minisign_keys() == [eve.public_key()]
        with pytest.raises(ColleagueError, match="changed outside"):
            ws.colleagues.by_minisign_id(dora.minisign_id)

    _execute(root, "DELETE FROM colleagues WHERE id = ?", dora.id)
    _execute(root, "UPDATE colleagues SET removed_at = '2026-01-01T00:00:00Z' WHERE id = ?",
             eve.id)
    _execute(root, "INSERT INTO colleagues (name, recipient, fingerprint, minisign, "
             "minisign_id, minisign_fingerprint, created_at, created_by) "
             "SELECT 'Mallory', recipient, fingerprint, minisign, minisign_id, "
             "minisign_fingerprint, created_at, created_by FROM colleagues WHERE id = ?",
             eve.id)
    kinds = sorted(p["kind"] for p in _verify(root))
    assert kinds == ["record-altered", "record-deleted", "record-unaudited"]


def test_service_lookups(ws: Workspace, tmp_path: Path) -> None:
    one = ws.colleagues.add("  Fay   Lee ", _age_recipient(),
                            _minisign_file(tmp_path / "f.pub").read_text())
    two = ws.colleagues.add("Gus", _age_recipient(),
                            _minisign_file(tmp_path / "g.pub").read_text())
    assert one.name == "Fay Lee" and one.to_dict()["removed"] is False
    assert [c.id for c in ws.colleagues.get_many([two.id, one.id, two.id])] == [two.id, one.id]
    assert ws.colleagues.by_minisign_id(one.minisign_id.lower()) == one
    assert ws.colleagues.by_minisign_id("00") is None
    assert ws.colleagues.by_minisign_id("not hex") is None
    with pytest.raises(ColleagueError, match="already colleague"):
        ws.colleagues.add("Copy", _age_recipient(), one.minisign)

    ws.colleagues.remove(one.id)
    assert ws.colleagues.by_minisign_id(one.minisign_id) is None
    assert ws.colleagues.trusted_minisign_keys() == [two.public_key()]
    assert [c.id for c in ws.colleagues.all()] == [two.id]
    assert ws.colleagues.get(one.id).removed
    with pytest.raises(ColleagueError) as refused:
        ws.colleagues.get_many([one.id, two.id, 99])
    assert "no colleague #99" in str(refused.value)
    assert f"colleague #{one.id} removed" in str(refused.value)
    with pytest.raises(ColleagueError, match="at least one"):
        ws.colleagues.get_many([])
    with pytest.raises(NotFound, match="no colleague #99"):
        ws.colleagues.get(99)
    entries = ws.audit.entries(subjects=[f"colleague:{two.id}"])
    assert entries[0].action == "colleague.add"
    assert {"name", "recipient", "fingerprint", "minisign", "minisign_id",
            "minisign_fingerprint"} <= set(entries[0].details)
