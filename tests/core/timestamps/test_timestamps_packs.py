"""Packs and timestamps: sealing queues the pack's SHA256SUMS; a pack sealed once its
items are covered by a stamped audit-head token carries the token, the CA and the
OpenSSL command (which verifies); ``pack show`` and ``verify`` report them."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.core.packs import support
from tests.core.packs.support import CLI_ENV, PASS_ENV, PASSPHRASE, Template, copy_ws, open_ws
from tests.tsa import PKI, LoopbackTSA
from workstation.packs.format.opening import open_pack

template = support.template  # fixture


def test_sealed_pack_carries_covering_tokens(template: Template, pki: PKI, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    with open_ws(ws_dir) as ws, LoopbackTSA(pki) as tsa:
        ws.timestamps.add_authority(tsa.url, pki.ca_pem.read_text())
        token = ws.timestamps.queue_audit_head()
        assert ws.timestamps.send().stamped == [token]
        assert ws.timestamps.for_capture(a) == ws.timestamps.get(token)
        pack = ws.packs.build(template.tiktok_age, [a, b], reason="Adverts",
                              output=tmp_path / "p.alertpack.age")
        queued = ws.timestamps.for_subject(f"pack:{pack.id}")
        seal = [e for e in ws.audit.entries() if e.action == "pack.seal"][-1]
        assert [r.digest for r in queued] == [seal.details["sha256sums_sha256"]]
        assert queued[0].kind == "pack" and queued[0].state == "queued"
        pub = tmp_path / "agency.pub"
        pub.write_text(ws.keys.export_public_key())
        ref = pack.ref
    shown = run_cli("pack", "show", ref, workspace=ws_dir, env=CLI_ENV, check=True).stdout
    assert "timestamped: queued" in shown
    opened = tmp_path / "opened"
    report = open_pack(tmp_path / "p.alertpack.age", template.age_key, pub, opened)
    assert report.valid, report.failure
    files = next(p for p in opened.rglob("timestamps") if p.is_dir())
    names = sorted(p.name for p in files.iterdir())
    assert names == sorted(["README.txt", "ca.pem", f"{token}.tsr"])
    readme = (files / "README.txt").read_text()
    assert f"#{a}, #{b}" in readme
    command = next(line.strip() for line in readme.splitlines()
                   if line.strip().startswith("openssl ts -verify"))
    done = subprocess.run(shlex.split(command), cwd=files.parent, capture_output=True,
                          text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stderr
    top = (files.parent / "README.txt").read_text()
    assert "timestamps/" in top
    sums = (files.parent / "SHA256SUMS").read_text()
    assert f"timestamps/{token}.tsr" in sums
    assert hashlib.sha256((files / f"{token}.tsr").read_bytes()).hexdigest() in sums


def test_verify_reports_a_token_that_no_longer_verifies(ws: object, pki: PKI) -> None:
    from workstation.workspace import Workspace
    assert isinstance(ws, Workspace)
    with LoopbackTSA(pki) as tsa:
        ws.timestamps.add_authority(tsa.url, pki.ca_pem.read_text())
        tid = ws.timestamps.queue_audit_head()
        ws.timestamps.send()
    assert not [p for p in ws.verify().problems if "timestamp" in p.message]
    record = ws.timestamps.get(tid)
    broken = bytearray(record.response or b"")
    broken[-5] ^= 1
    with ws.ctx.write():  # behind the application's back
        ws.conn.execute("UPDATE timestamps SET response = ? WHERE id = ?", (bytes(broken), tid))
    problems = [p for p in ws.verify().problems if f"timestamp #{tid}" in p.message]
    assert problems and problems[0].kind == "record-altered"
    # the audit entry matching the altered token too: the token itself is refused
    ws.conn.execute("UPDATE timestamps SET response = ? WHERE id = ?", (record.response, tid))
    ws.conn.execute("UPDATE tsa_authorities SET ca_pem = ?", (_other_ca(pki),))
    problems = [p for p in ws.verify().problems if f"timestamp #{tid}" in p.message]
    assert problems and problems[0].kind == "timestamp-invalid"
    assert "no longer verifies" in problems[0].message


def _other_ca(pki: PKI) -> str:
    from tests.tsa import make_pki
    return make_pki(pki.dir.parent / "wrong-ca", name="Wrong").ca_pem.read_text()


def test_pack_show_json_unchanged_and_line_when_stamped(template: Template, pki: PKI,
                                                       tmp_path: Path) -> None:
    ws_dir = copy_ws(template, tmp_path / "ws")
    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    str(template.captures[0]), "-o", str(tmp_path / "x.alertpack.age"),
                    "--passphrase-env", PASS_ENV, "--json", workspace=ws_dir, env=CLI_ENV)
    assert built.returncode == 0, built.stderr
    ref = json.loads(built.stdout)["ref"]
    with LoopbackTSA(pki) as tsa:
        done = run_cli("timestamp", "--send", "--tsa", tsa.url, "--ca", str(pki.ca_pem),
                       workspace=ws_dir, env=CLI_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    shown = run_cli("pack", "show", ref, workspace=ws_dir, env=CLI_ENV, check=True).stdout
    line = next(x for x in shown.splitlines() if "timestamped:" in x)
    assert tsa.url in line and "token #" in line
