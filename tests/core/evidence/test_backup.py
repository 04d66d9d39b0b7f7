"""``workstation backup`` and ``restore``: a verified copy taken while the workspace is
open, restored after the original is destroyed; a tampered backup is refused."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    open_ws,
    sealed,  # noqa: F401 - the session fixture
    template,  # noqa: F401 - the session fixture
)


def _records(ws_dir: Path) -> tuple[list[Any], list[Any]]:
    """The captures (with OCR) and the packs, as the CLI lists them."""
    listed = run_cli("list", "--json", workspace=ws_dir, env=CLI_ENV, check=True)
    packs = run_cli("pack", "list", "--json", workspace=ws_dir, env=CLI_ENV, check=True)
    pack_list = json.loads(packs.stdout)
    for pack in pack_list:  # where its sealed file is: in this workspace's outbox
        pack["file"] = os.path.relpath(pack["file"], ws_dir)
    return json.loads(listed.stdout), pack_list


def _rmtree(path: Path) -> None:
    def writable(func: Any, name: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        func(name)
    shutil.rmtree(path, onerror=writable)


def test_backup_of_an_open_workspace_restores_after_the_original_is_destroyed(
        sealed: Sealed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = tmp_path / "ws"
    shutil.copytree(sealed.ws, ws_dir)
    captures, packs = _records(ws_dir)
    assert len(captures) == 3 and [p["ref"] for p in packs] == [sealed.ref]
    first = sealed.template.captures[0]
    shown = run_cli("show", str(first), "--json", workspace=ws_dir, env=CLI_ENV, check=True)
    assert "+44 7700 900456" in shown.stdout  # its OCR text and indicators

    backup = tmp_path / "backups" / "monday"
    with open_ws(ws_dir):  # the window has it open (the write lock is held)
        made = run_cli("backup", str(backup), workspace=ws_dir, env=CLI_ENV)
    assert made.returncode == 0, made.stderr
    assert "Backed up 3 captures" in made.stdout and "the copy verifies" in made.stdout
    assert (backup / "audit.head").read_text() == (ws_dir / "audit.head").read_text()

    again = run_cli("backup", str(backup), workspace=ws_dir, env=CLI_ENV)
    assert again.returncode == 1
    assert again.stderr.splitlines() == [f"workstation: error: {backup} is not empty; choose a "
                                         "new or empty folder (nothing was overwritten)"]

    _rmtree(ws_dir)  # the laptop is lost
    restored = tmp_path / "restored"
    done = run_cli("restore", str(backup), str(restored), env=CLI_ENV)
    assert done.returncode == 0, done.stderr
    assert "Restored 3 captures" in done.stdout and "1 packs" in done.stdout

    checked = run_cli("verify", workspace=restored, env=CLI_ENV)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("OK: 3 evidence files")
    assert _records(restored) == (captures, packs)
    assert run_cli("show", str(first), "--json", workspace=restored, env=CLI_ENV,
                   check=True).stdout == shown.stdout
    with open_ws(restored) as ws:  # the pack file and the agency's keys came along too
        assert ws.packs.file(sealed.ref).read_bytes() == sealed.file.read_bytes()
        assert ws.keys.signing_key().key_id_hex == packs[0]["signing_key_id"]

    into_full = run_cli("restore", str(backup), str(restored), env=CLI_ENV)
    assert into_full.returncode == 1 and "is not empty" in into_full.stderr


def test_a_tampered_backup_is_refused_and_nothing_is_restored(
        sealed: Sealed, tmp_path: Path) -> None:  # noqa: F811
    backup = tmp_path / "backup"
    made = run_cli("backup", str(backup), workspace=sealed.ws, env=CLI_ENV)
    assert made.returncode == 0, made.stderr
    evidence = sorted(p for p in (backup / "evidence").rglob("*") if p.is_file())
    assert len(evidence) == 3
    victim = evidence[0]
    victim.chmod(0o644)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    victim.write_bytes(bytes(data))

    target = tmp_path / "restored"
    refused = run_cli("restore", str(backup), str(target), env=CLI_ENV)
    assert refused.returncode == 1
    (line,) = refused.stderr.splitlines()
    assert line.startswith("workstation: error: the evidence file of capture #")
    assert "does not match its SHA-256" in line and "nothing was kept" in line
    assert not target.exists()

    missing = run_cli("restore", str(tmp_path / "nowhere"), str(target), env=CLI_ENV)
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        f"workstation: error: no backup at {tmp_path / 'nowhere'} (workspace.db is missing); "
        "nothing was copied"]
    assert not target.exists()
