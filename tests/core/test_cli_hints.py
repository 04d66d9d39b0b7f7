"""CLI errors that need a flag name it: every command that asks for the secret store's
passphrase, run without a terminal (stdin a pipe, as in scripts and CI), says to give
it with ``--passphrase-env VAR`` — or, given that flag, that the variable is empty."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

PASSPHRASE = "correct horse battery"
ISSUER = ["--agency-name", "Example Police Service", "--issuing-unit", "Online Referrals Unit",
          "--contact-name", "Control Room", "--contact-phone", "+44 20 7946 0000",
          "--contact-email", "control@example.org", "--reply-to", "outcomes@example.org"]
NO_TERMINAL = ("workstation: error: A passphrase is needed and there is no terminal to ask it "
               "on: give it with --passphrase-env VAR (the name of an environment variable "
               "holding it).")
FILE_STORE = {"WORKSTATION_SECRET_BACKEND": "file"}  # never a developer's keyring


def refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def test_key_init_without_a_terminal_names_the_flag(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", str(ws), check=True)
    result = run_cli("key", "init", *ISSUER, workspace=ws, env=FILE_STORE, input="")
    assert refused(result) == NO_TERMINAL
    # The flag works as said; no key was made by the refused run.
    made = run_cli("key", "init", "--passphrase-env", "AW_PASS", workspace=ws,
                   env={**FILE_STORE, "AW_PASS": PASSPHRASE}, input="")
    assert made.returncode == 0, made.stderr
    assert "Agency keys created" in made.stdout


@pytest.mark.parametrize("value", [None, ""])
def test_an_empty_passphrase_variable_is_named(tmp_path: Path, value: str | None) -> None:
    ws = tmp_path / "ws"
    run_cli("init", str(ws), check=True)
    env = dict(FILE_STORE) if value is None else {**FILE_STORE, "AW_PASS": value}
    result = run_cli("key", "init", *ISSUER, "--passphrase-env", "AW_PASS", workspace=ws,
                     env=env, input="")
    message = refused(result)
    assert "the environment variable AW_PASS (named by --passphrase-env) is not set or " \
           "empty" in message


def test_every_command_that_unlocks_the_keys_names_the_flag(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", str(ws), check=True)
    run_cli("key", "init", *ISSUER, "--passphrase-env", "AW_PASS", workspace=ws,
            env={**FILE_STORE, "AW_PASS": PASSPHRASE}, input="", check=True)
    run_cli("case", "new", "Op Alpha", workspace=ws, check=True)
    for command in (["key", "rotate"],
                    ["report", "Op Alpha", "-o", str(tmp_path / "report.pdf")]):
        result = run_cli(*command, workspace=ws, env=FILE_STORE, input="")
        assert refused(result) == NO_TERMINAL, command
