"""The log file (workstation/logs.py): written by CLI runs, private, holding uncaught
exceptions with their tracebacks and never a secret."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pyrage
import pytest

from tests.conftest import ROOT, run_cli
from tests.issuer import ISSUER_FLAGS

PASS_ENV = "WS_LOG_TEST_PASSPHRASE"
PASSPHRASE = "plum orchard lighthouse 4417"
SMTP_PASSWORD = "smtp-Pa55word-never-logged"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _python(code: str, log_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "WORKSTATION_LOG_DIR": str(log_dir), **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_cli_run_writes_a_private_log_naming_the_command(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    run_cli("init", str(tmp_path / "ws"), check=True, env={"WORKSTATION_LOG_DIR": str(logs)})
    run_cli("status", workspace=tmp_path / "ws", check=True,
            env={"WORKSTATION_LOG_DIR": str(logs)})
    refused = run_cli("case", "close", "no-such-case", workspace=tmp_path / "ws",
                      env={"WORKSTATION_LOG_DIR": str(logs)})
    assert refused.returncode == 1
    log = logs / "cli.log"
    text = log.read_text()
    assert "INFO workstation.cli: command: status" in text
    assert "command: case close" in text
    assert "no-such-case" in text and "error shown" in text  # the error the analyst saw
    assert _mode(log) == 0o600
    assert _mode(logs) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_an_existing_log_file_is_made_private(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "cli.log").write_text("older lines\n")
    (logs / "cli.log").chmod(0o644)
    run_cli("init", workspace=tmp_path / "ws", check=True,
            env={"WORKSTATION_LOG_DIR": str(logs)})
    assert _mode(logs / "cli.log") == 0o600
    assert (logs / "cli.log").read_text().startswith("older lines\n")


def test_uncaught_exceptions_land_in_the_log(tmp_path: Path) -> None:
    done = _python("""
        import threading
        from workstation.logs import setup_logging
        setup_logging("cli")
        worker = threading.Thread(target=lambda: 1 / 0, name="sum-worker")
        worker.start()
        worker.join()
        raise RuntimeError("the main thread broke: marker-7741")
        """, tmp_path)
    assert done.returncode == 1
    assert "marker-7741" in done.stderr  # Python's own hook still prints the traceback
    text = (tmp_path / "cli.log").read_text()
    assert "CRITICAL workstation.crash: uncaught exception\n" in text
    assert "RuntimeError: the main thread broke: marker-7741" in text
    assert "Traceback (most recent call last)" in text
    assert "uncaught exception in thread sum-worker" in text
    assert "ZeroDivisionError" in text


def test_secrets_are_redacted_wherever_they_appear(tmp_path: Path) -> None:
    identity = str(pyrage.x25519.Identity.generate())
    minisign_secret = "RWRTY0Iy" + "Qm9ndXMga2V5IGJ5dGVz" * 10
    done = _python(f"""
        import logging
        from workstation.logs import redact_env, setup_logging
        setup_logging("cli")
        redact_env("{PASS_ENV}")
        log = logging.getLogger("workstation.test")
        log.info("unlocking with %s", "{PASSPHRASE}")
        log.info("identity {identity} read")
        log.info("signing key file:\\nuntrusted comment: minisign encrypted secret key\\n%s",
                 "{minisign_secret}")
        log.warning("smtp login user=ops password={SMTP_PASSWORD} failed")
        try:
            raise ValueError("bad passphrase: {PASSPHRASE}")
        except ValueError:
            log.exception("could not unlock")
        log.info("done: marker-1234")
        """, tmp_path, **{PASS_ENV: PASSPHRASE})
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "cli.log").read_text()
    assert "marker-1234" in text and "could not unlock" in text and "ValueError" in text
    for secret in (PASSPHRASE, identity, "AGE-SECRET-KEY", minisign_secret[:40], SMTP_PASSWORD):
        assert secret not in text
    assert text.count("[REDACTED]") >= 5


def test_cli_runs_with_a_passphrase_and_an_smtp_password_log_neither(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    env = {"WORKSTATION_LOG_DIR": str(logs), PASS_ENV: PASSPHRASE, "SMTP_PW": SMTP_PASSWORD,
           "WORKSTATION_SECRET_BACKEND": "file", "WORKSTATION_ANALYST": "Log Tester"}
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, env=env, check=True)
    run_cli("key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS, workspace=ws, env=env,
            check=True)
    run_cli("config", "smtp_host", "smtp.example", workspace=ws, env=env, check=True)
    run_cli("config", "smtp_user", "ops", workspace=ws, env=env, check=True)
    run_cli("key", "smtp-password", "--password-env", "SMTP_PW", "--passphrase-env", PASS_ENV,
            workspace=ws, env=env, check=True)
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    run_cli("contact", "add", "--platform", "x", "--name", "X safety", "--email",
            "safety@x.example", "--recipient", recipient, workspace=ws, env=env, check=True)
    # A mistyped passphrase: refused, and the refusal is logged without the passphrase.
    wrong = run_cli("key", "rotate", "--passphrase-env", "WRONG", workspace=ws,
                    env={**env, "WRONG": PASSPHRASE + " typo"})
    assert wrong.returncode == 1
    text = (logs / "cli.log").read_text()
    for command in ("key init", "key smtp-password", "contact add", "key rotate"):
        assert f"command: {command}" in text
    assert "error shown" in text
    for secret in (PASSPHRASE, SMTP_PASSWORD, "AGE-SECRET-KEY", "SECRET KEY", "RWRTY0Iy",
                   "RWQAAEIy"):
        assert secret.lower() not in text.lower()
