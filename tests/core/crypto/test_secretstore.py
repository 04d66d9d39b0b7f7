"""Secret storage: passphrase-encrypted files (always) and the OS keyring (when one can run)."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail, null

from tests.conftest import ROOT
from workstation.crypto.secretstore import (
    KeyringUnavailable,
    PassphraseRequest,
    PassphraseUnavailable,
    SecretNotFound,
    SecretStore,
    SecretStoreError,
    WrongPassphrase,
    secure_keyring,
)
from workstation.errors import NotFound

SECRET = b"\x00\x01SIGNING-SEED-" + os.urandom(24) + b"-END"
PASSPHRASE = "correct horse battery staple"


class Prompt:
    """A passphrase provider that records what it was asked."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests: list[PassphraseRequest] = []

    def __call__(self, request: PassphraseRequest) -> str:
        self.requests.append(request)
        return self.answer


def _file_store(directory: Path, prompt: Prompt | None = None, **kw: Any) -> SecretStore:
    return SecretStore(directory, passphrase_provider=prompt, backend="file", **kw)


def _assert_not_in_files(directory: Path, *needles: bytes) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, f"secret material found in {path}"


def test_file_backend_round_trip_and_no_plaintext(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    prompt = Prompt(PASSPHRASE)
    store = _file_store(directory, prompt)
    assert "passphrase-encrypted files" in store.backend_description()
    assert not store.uses_keyring
    store.put("signing-key", SECRET)
    assert [r.creating for r in prompt.requests] == [True]
    assert "Choose a passphrase" in prompt.requests[0].prompt

    files = list(directory.iterdir())
    assert [p.name for p in files] == ["signing-key.age"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert files[0].read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    _assert_not_in_files(
        directory,
        SECRET,
        SECRET[2:20],
        base64.b64encode(SECRET)[:20],
        SECRET.hex().encode()[:20],
        PASSPHRASE.encode(),
    )

    # A new store object (a new session) asks for the passphrase once, then caches it.
    prompt2 = Prompt(PASSPHRASE)
    store2 = _file_store(directory, prompt2)
    assert store2.has("signing-key")
    assert prompt2.requests == []  # has() never asks
    assert store2.get("signing-key") == SECRET
    assert [r.creating for r in prompt2.requests] == [False]
    assert "Passphrase for the secrets" in prompt2.requests[0].prompt
    store2.put("smtp-password", b"hunter2")
    assert len(prompt2.requests) == 1
    assert store2.get("smtp-password") == b"hunter2"
    assert sorted(p.name for p in directory.iterdir()) == ["signing-key.age", "smtp-password.age"]
    _assert_not_in_files(directory, b"hunter2")


def test_wrong_passphrase_is_clear_and_leaks_nothing(tmp_path: Path) -> None:
    _file_store(tmp_path, Prompt(PASSPHRASE)).put("signing-key", SECRET)
    wrong = "not the passphrase"
    store = _file_store(tmp_path, Prompt(wrong))
    with pytest.raises(
        WrongPassphrase, match="Wrong passphrase for the secret 'signing-key'"
    ) as info:
        store.get("signing-key")
    text = str(info.value) + repr(info.value) + repr(store)
    assert wrong not in text and PASSPHRASE not in text
    assert SECRET.hex() not in text
    # A wrong passphrase is not cached, and cannot be used to add a second secret
    # protected differently.
    with pytest.raises(WrongPassphrase):
        store.put("other", b"x")
    assert not (tmp_path / "other.age").exists()


def test_passphrase_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AW_TEST_SECRET_PASSPHRASE", PASSPHRASE)
    store = SecretStore(tmp_path, backend="file", passphrase_env="AW_TEST_SECRET_PASSPHRASE")
    store.put("k", SECRET)
    assert _file_store(tmp_path, Prompt(PASSPHRASE)).get("k") == SECRET

    monkeypatch.delenv("AW_TEST_SECRET_PASSPHRASE")
    store = SecretStore(tmp_path, backend="file", passphrase_env="AW_TEST_SECRET_PASSPHRASE")
    with pytest.raises(PassphraseUnavailable, match="AW_TEST_SECRET_PASSPHRASE"):
        store.get("k")
    with pytest.raises(PassphraseUnavailable, match="empty passphrase"):
        _file_store(tmp_path, Prompt("")).get("k")


def test_delete_missing_and_bad_names(tmp_path: Path) -> None:
    store = _file_store(tmp_path, Prompt(PASSPHRASE))
    with pytest.raises(SecretNotFound) as info:
        store.get("nothing")
    assert isinstance(info.value, NotFound)
    store.put("a", b"1")
    store.delete("a")
    assert not store.has("a")
    with pytest.raises(SecretNotFound):
        store.delete("a")
    for bad in ["../escape", "a/b", "", ".hidden", "x" * 101, "name with space"]:
        with pytest.raises(SecretStoreError, match="Invalid secret name"):
            store.put(bad, b"x")
    assert list(tmp_path.iterdir()) == []  # no temporary files left behind


def test_replacing_a_secret_is_atomic(tmp_path: Path) -> None:
    store = _file_store(tmp_path, Prompt(PASSPHRASE))
    store.put("k", b"old")
    store.put("k", b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["k.age"]
    store.forget_passphrase()
    assert store.get("k") == b"new"


def test_damaged_file_is_reported(tmp_path: Path) -> None:
    store = _file_store(tmp_path, Prompt(PASSPHRASE))
    store.put("k", SECRET)
    path = tmp_path / "k.age"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WrongPassphrase, match="damaged"):
        _file_store(tmp_path, Prompt(PASSPHRASE)).get("k")


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    original = keyring.get_keyring()
    yield
    keyring.set_keyring(original)


@pytest.mark.usefixtures("restore_keyring")
@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_insecure_keyrings_are_not_used(tmp_path: Path, backend: type) -> None:
    keyring.set_keyring(backend())
    assert secure_keyring() is None
    store = SecretStore(tmp_path, passphrase_provider=Prompt(PASSPHRASE))
    assert not store.uses_keyring
    with pytest.raises(KeyringUnavailable, match="No secure OS keyring"):
        SecretStore(tmp_path, backend="keyring")


_KEYRING_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from workstation.crypto.secretstore import SecretStore, SecretNotFound
    directory = Path(sys.argv[1])
    store = SecretStore(directory, service="aw-test", backend="keyring")
    assert store.uses_keyring, store.backend_description()
    assert "SecretService" in store.backend_description()
    secret = bytes(range(256))
    store.put("signing-key", secret)
    assert SecretStore(directory, service="aw-test").get("signing-key") == secret
    assert store.has("signing-key")
    assert not directory.exists() or not any(directory.iterdir())
    store.delete("signing-key")
    try:
        store.get("signing-key")
    except SecretNotFound:
        print("KEYRING-OK")
    """
)


def test_keyring_backend_with_real_secret_service(tmp_path: Path) -> None:
    """Run a real gnome-keyring Secret Service in a private D-Bus session."""
    dbus_run = shutil.which("dbus-run-session")
    daemon = shutil.which("gnome-keyring-daemon")
    if not dbus_run or not daemon:
        pytest.skip("dbus-run-session / gnome-keyring-daemon are not installed")
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    script = tmp_path / "check.py"
    script.write_text(_KEYRING_SCRIPT)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": str(ROOT),
    }
    inner = (
        f"printf test-login | {daemon} --unlock --components=secrets >/dev/null 2>&1; "
        f"exec {sys.executable} {script} {tmp_path / 'unused'}"
    )
    result = subprocess.run(
        [dbus_run, "--", "sh", "-c", inner], env=env, capture_output=True, text=True, timeout=120
    )
    assert "KEYRING-OK" in result.stdout, result.stdout + result.stderr
