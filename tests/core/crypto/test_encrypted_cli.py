"""The CLI contract of encryption at rest: ``init DIR --encrypt --passphrase-env VAR``,
``[--passphrase-env VAR] encrypt``, the global ``--passphrase-env`` for every command,
``passphrase --new-env``, ``lock``; one-line errors, nothing written on refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.imagegen import make_screenshot
from workstation.crypto import datakey

ROOT = Path(__file__).resolve().parents[3]
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


def test_the_key_is_cached_in_a_secure_os_keyring_until_lock(tmp_path: Path) -> None:
    """On a real gnome-keyring Secret Service in a private D-Bus session: each command is
    a new process, so only the OS keyring can spare it the passphrase."""
    dbus_run = shutil.which("dbus-run-session")
    daemon = shutil.which("gnome-keyring-daemon")
    if not dbus_run or not daemon:
        if os.environ.get("CI"):
            pytest.fail("dbus-run-session and gnome-keyring-daemon are required in CI")
        pytest.skip("dbus-run-session / gnome-keyring-daemon are not installed")
    home, runtime, ws = tmp_path / "home", tmp_path / "run", tmp_path / "ws"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_DATA_HOME": str(home / "data"), "XDG_RUNTIME_DIR": str(runtime),
           "PYTHONPATH": str(ROOT), "WS_PW": "first passphrase",
           "WORKSTATION_SECRET_BACKEND": "file", "WORKSTATION_ANALYST": "Test Analyst"}
    cli = f"{sys.executable} -m cli --workspace {ws}"
    steps = [f"{sys.executable} -m cli init {ws} --encrypt --passphrase-env WS_PW",
             f"{cli} status", f"{cli} lock", f"{cli} status"]
    inner = (f"printf test-login | {daemon} --unlock --components=secrets >/dev/null 2>&1; "
             + "; ".join(f"{step} </dev/null; echo rc=$?" for step in steps))
    result = subprocess.run([dbus_run, "--", "sh", "-c", inner], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    codes = [line for line in result.stdout.splitlines() if line.startswith("rc=")]
    assert codes == ["rc=0", "rc=0", "rc=0", "rc=1"], result.stdout + result.stderr
    assert "encrypted (SQLCipher" in result.stdout  # status opened from the cached key
    assert "the cached key was forgotten" in result.stdout
    assert "is encrypted: give its passphrase" in result.stderr
