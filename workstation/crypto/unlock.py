"""Unlocking a workspace encrypted at rest: its data key from the analyst's passphrase,
the OS keyring, or this process's memory.

A workspace is encrypted when its folder holds ``workspace.key``
(:mod:`workstation.crypto.datakey`).  Its key comes from, in order:

1. a passphrase given for this open (``--passphrase-env VAR``, the window's prompt):
   always checked, so a wrong one is refused even where the key is cached;
2. this process, once the workspace was unlocked in it (the window opens a workspace
   several times: its reader, its background writer);
3. the OS keyring, where a *secure* one exists
   (:func:`~workstation.crypto.secretstore.secure_keyring`): the key is cached there,
   under its id, when a passphrase unlocks it;
4. ``ask``, a prompt (the CLI on a terminal, the window).

Otherwise :class:`PassphraseNeeded`.  :func:`forget` drops the cached key
(``workstation lock``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from workstation.crypto import datakey
from workstation.crypto.secretstore import secure_keyring
from workstation.errors import WorkstationError

__all__ = ["PassphraseNeeded", "cached_key", "data_key", "forget", "is_encrypted"]

#: The keyring service under which data keys are cached (the user name is the key's id).
KEYRING_SERVICE = "analyst-workstation data key"

_unlocked: dict[str, bytes] = {}
_guard = threading.Lock()

#: A prompt: the sentence to show, the passphrase typed (empty: the user gave up).
Ask = Callable[[str], str]


class PassphraseNeeded(WorkstationError):
    """The workspace is encrypted and no passphrase was given."""


def is_encrypted(root: Path) -> bool:
    """Whether the workspace at ``root`` is encrypted at rest (or being converted)."""
    return (root / datakey.KEY_FILE).exists()


def key_path(root: Path) -> Path:
    return root / datakey.KEY_FILE


def cached_key(root: Path) -> bytes | None:
    """The key of ``root`` if this process or the OS keyring has it (no prompt)."""
    kid = datakey.read_key_id(key_path(root))
    with _guard:
        if kid in _unlocked:
            return _unlocked[kid]
    key = _from_keyring(kid)
    if key is not None:
        with _guard:
            _unlocked[kid] = key
    return key


def data_key(root: Path, passphrase: str | None = None, ask: Ask | None = None) -> bytes:
    """The data key of the encrypted workspace at ``root`` (see the module's docstring);
    :class:`~workstation.crypto.secretstore.WrongPassphrase` for a wrong passphrase,
    :class:`PassphraseNeeded` when none could be had."""
    path = key_path(root)
    if not passphrase:
        key = cached_key(root)
        if key is not None:
            return key
        if ask is not None:
            passphrase = ask(f"Passphrase of the encrypted workspace {root}:")
    if not passphrase:
        raise PassphraseNeeded(
            f"The workspace at {root} is encrypted: give its passphrase with {{how}} (VAR "
            "names an environment variable holding it); nothing was opened.",
            how="--passphrase-env VAR",
            window=f"The workspace at {root} is encrypted: its passphrase is needed.")
    key = datakey.unwrap(path, passphrase)
    remember(key)
    return key


def remember(key: bytes) -> None:
    """Keep ``key`` for this process, and in the OS keyring where a secure one exists."""
    kid = datakey.key_id(key)
    with _guard:
        _unlocked[kid] = key
    backend = secure_keyring()
    if backend is not None:
        with contextlib.suppress(Exception):  # a keyring that refuses: asked next time
            backend.set_password(KEYRING_SERVICE, kid, base64.b64encode(key).decode("ascii"))


def forget(root: Path) -> bool:
    """Drop the key of ``root`` from this process and the OS keyring; whether one was
    cached."""
    kid = datakey.read_key_id(key_path(root))
    with _guard:
        found = _unlocked.pop(kid, None) is not None
    backend = secure_keyring()
    if backend is not None:
        with contextlib.suppress(Exception):
            if backend.get_password(KEYRING_SERVICE, kid) is not None:
                backend.delete_password(KEYRING_SERVICE, kid)
                found = True
    return found


def _from_keyring(kid: str) -> bytes | None:
    backend = secure_keyring()
    if backend is None:
        return None
    try:
        stored = backend.get_password(KEYRING_SERVICE, kid)
    except Exception:
        return None
    if not stored:
        return None
    try:
        key = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == datakey.KEY_SIZE and datakey.key_id(key) == kid else None
