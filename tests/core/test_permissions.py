"""A workspace is its owner's only, whatever the umask: folders 0700, files 0600,
evidence 0400 — the database and its WAL/SHM, evidence, thumbnails, the audit anchor,
the lock, secrets and the outbox; a workspace left with looser modes is tightened when
it is next opened for writing."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.issuer import ISSUER_FLAGS
from workstation.workspace import Workspace

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive usual umask (files 0644, folders 0755 unless told otherwise)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode)
            for p in [root, *root.rglob("*")]}


def _check(root: Path) -> None:
    for name, mode in _modes(root).items():
        path = root / name
        if path.is_dir():
            assert mode == 0o700, (name, oct(mode))
        elif "evidence" in Path(name).parts[:1] or name.startswith("outbox/"):
            assert mode == 0o400, (name, oct(mode))  # read-only originals, sealed packs
        else:
            assert mode == 0o600, (name, oct(mode))


def test_a_new_workspace_is_private_whatever_the_umask(
        open_umask: None, tmp_path: Path, image_file: Callable[..., Path]) -> None:
    root = tmp_path / "ws"
    with Workspace.open(root) as ws:
        assert ws.intake.import_file(image_file()).status == "imported"
        names = set(_modes(root))
        # the database's WAL and SHM exist while it is open, with the database's mode
        assert {"workspace.db", "workspace.db-wal", "workspace.db-shm", "audit.head",
                "workspace.lock", "thumbs", "evidence/tmp"} <= names
        _check(root)
    _check(root)


def test_secrets_and_the_outbox_are_private(open_umask: None, tmp_path: Path,
                                            image_file: Callable[..., Path]) -> None:
    from tests.core.packs.support import CLI_ENV, PASS_ENV, write_age_identity

    root = tmp_path / "ws"
    run_cli("import", str(image_file()), workspace=root, check=True)
    run_cli("key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS, workspace=root,
            env=CLI_ENV, check=True)
    recipient = write_age_identity(tmp_path / "contact.key")
    run_cli("contact", "add", "--platform", "tiktok", "--name", "T&S", "--email",
            "ts@tiktok.example", "--recipient", recipient, workspace=root, check=True)
    run_cli("pack", "build", "--contact", "1", "--captures", "1", "-o",
            str(tmp_path / "out.alertpack.age"), "--passphrase-env", PASS_ENV,
            "--allow-no-url", "1:a test screenshot", workspace=root, env=CLI_ENV, check=True)
    assert any((root / "secrets").iterdir()) and any((root / "outbox").iterdir())
    _check(root)


def test_an_existing_loose_workspace_is_tightened_on_open(
        open_umask: None, tmp_path: Path, image_file: Callable[..., Path]) -> None:
    root = tmp_path / "ws"
    with Workspace.open(root) as ws:
        ws.intake.import_file(image_file())
    for path in [root, *root.iterdir()]:  # as an older version left it
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    with Workspace.open(root, readonly=True):
        assert stat.S_IMODE(root.stat().st_mode) == 0o755  # reading changes nothing
    Workspace.open(root).close()
    modes = _modes(root)
    assert modes["."] == 0o700
    assert modes["workspace.db"] == modes["audit.head"] == 0o600
    assert modes["evidence"] == modes["thumbs"] == 0o700
