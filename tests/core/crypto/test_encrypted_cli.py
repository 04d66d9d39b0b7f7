"""The CLI contract of encryption at rest: ``init DIR --encrypt --passphrase-env VAR``,
``[--passphrase-env VAR] encrypt``, the global ``--passphrase-env`` for every command,
``passphrase --new-env``, ``lock``; one-line errors, nothing written on refusal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.imagegen import make_screenshot
from workstation.crypto import datakey

ENV = {"WS_PW": "first passphrase", "WS_WRONG": "not it", "WS_NEW": "second passphrase",
       "WORKSTATION_SECRET_BACKEND": "file", "WORKSTATION_ANALYST": "Test Analyst"}


def _image(tmp_path: Path) -> Path:
    path = tmp_path / "advert.png"
    path.write_bytes(make_screenshot(width=540, height=900, seed=4, text="boat UK"))
    return path


def test_init_encrypt_and_the_global_passphrase(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    made = run_cli("init", str(ws), "--encrypt", "--passphrase-env", "WS_PW", env=ENV,
                   check=True)
    assert "encrypted workspace" in made.stdout and (ws / datakey.KEY_FILE).is_file()
    refused = run_cli("import", str(_image(tmp_path)), workspace=ws, env=ENV)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "is encrypted" in refused.stderr
    assert "Traceback" not in refused.stderr
    wrong = run_cli("--passphrase-env", "WS_WRONG", "status", workspace=ws, env=ENV)
    assert wrong.returncode == 1 and "Wrong passphrase" in wrong.stderr
    run_cli("--passphrase-env", "WS_PW", "import", str(_image(tmp_path)), workspace=ws,
            env=ENV, check=True)
    status = json.loads(run_cli("--passphrase-env", "WS_PW", "status", "--json", workspace=ws,
                                env=ENV, check=True).stdout)
    assert status["encrypted"] is True and status["captures"] == 1
    changed = run_cli("--passphrase-env", "WS_PW", "passphrase", "--new-env", "WS_NEW",
                      workspace=ws, env=ENV, check=True)
    assert "changed" in changed.stdout
    assert run_cli("--passphrase-env", "WS_PW", "status", workspace=ws, env=ENV).returncode == 1
    verified = run_cli("--passphrase-env", "WS_NEW", "verify", workspace=ws, env=ENV)
    assert verified.returncode == 0, verified.stderr
    assert run_cli("lock", workspace=ws, env=ENV).returncode == 0
    again = run_cli("init", str(ws), "--encrypt", "--passphrase-env", "WS_PW", env=ENV)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_encrypt_converts_an_existing_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", str(ws), env=ENV, check=True)
    run_cli("import", str(_image(tmp_path)), workspace=ws, env=ENV, check=True)
    no_pass = run_cli("encrypt", workspace=ws, env=ENV)
    assert no_pass.returncode == 2 and "--passphrase-env" in no_pass.stderr
    assert not (ws / datakey.KEY_FILE).exists()
    done = json.loads(run_cli("--passphrase-env", "WS_PW", "encrypt", "--json", workspace=ws,
                              env=ENV, check=True).stdout)
    assert done["encrypted"] and done["database_encrypted"] and done["files_encrypted"] == 2
    assert b"\x89PNG\r\n\x1a\n" not in b"".join(
        p.read_bytes() for p in ws.rglob("*") if p.is_file())
    audit = run_cli("--passphrase-env", "WS_PW", "audit", "--json", workspace=ws, env=ENV,
                    check=True)
    assert "workspace.encrypt" in audit.stdout
    twice = run_cli("--passphrase-env", "WS_PW", "encrypt", workspace=ws, env=ENV)
    assert twice.returncode == 1 and "already" in twice.stderr
