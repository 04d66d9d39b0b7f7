"""The data key of a workspace encrypted at rest, wrapped by the analyst's passphrase.

A random 32-byte key encrypts the database (SQLCipher) and every file the workspace
keeps (:mod:`workstation.crypto.filecrypt`).  It is stored in ``workspace.key``, wrapped
with the passphrase by age's scrypt recipient (``age -d`` opens it with the passphrase);
changing the passphrase rewraps it without touching the data.  The file also names the
key (a SHA-256 of it, which reveals nothing of a random key) so that a key unwrapped
from another workspace's file, or a file swapped for another, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pyrage

from workstation.crypto.secretstore import WrongPassphrase
from workstation.errors import WorkstationError
from workstation.files import atomic_write

KEY_FILE = "workspace.key"
FORMAT = "analyst-workstation-data-key/1"
KEY_SIZE = 32
MAX_KEY_FILE = 64 << 10


class DataKeyError(WorkstationError):
    """The key file is missing, damaged or not this workspace's."""


def key_id(key: bytes) -> str:
    """The name of a data key (SHA-256 of a domain-separated encoding)."""
    return hashlib.sha256(b"analyst-workstation data key id\n" + key).hexdigest()[:32]


def _check_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise WorkstationError("The passphrase must not be empty.")


def create(path: Path, passphrase: str) -> bytes:
    """A new random data key, wrapped with ``passphrase`` into ``path`` (which must not
    exist yet); the key."""
    _check_passphrase(passphrase)
    if path.exists():
        raise DataKeyError(f"{path} already exists; the workspace already has a data key.")
    key = os.urandom(KEY_SIZE)
    _write(path, key, passphrase)
    return key


def _write(path: Path, key: bytes, passphrase: str) -> None:
    wrapped = pyrage.passphrase.encrypt(key, passphrase)
    document = {"format": FORMAT, "key_id": key_id(key),
                "wrapped": base64.b64encode(wrapped).decode("ascii")}
    atomic_write(path, (json.dumps(document, indent=1) + "\n").encode("ascii"), mode=0o600)


def read_key_id(path: Path) -> str:
    """The id of the key ``path`` wraps (no passphrase needed)."""
    return str(_read(path)["key_id"])


def _read(path: Path) -> dict[str, str]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise DataKeyError(f"The workspace's key file {path} is missing; without it the "
                           "encrypted workspace cannot be opened. Restore it from a "
                           "backup.") from None
    except OSError as exc:
        raise DataKeyError(f"Cannot read the key file {path}: {exc.strerror}.") from None
    try:
        document = json.loads(data.decode("ascii"))
        if len(data) > MAX_KEY_FILE or document.get("format") != FORMAT:
            raise ValueError
        base64.b64decode(document["wrapped"], validate=True)
        if not isinstance(document["key_id"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DataKeyError(f"The key file {path} is damaged or not a workspace key "
                           "file.") from None
    return {"key_id": document["key_id"], "wrapped": document["wrapped"]}


def unwrap(path: Path, passphrase: str) -> bytes:
    """The data key ``path`` wraps; :class:`WrongPassphrase` for a wrong passphrase."""
    document = _read(path)
    try:
        key = bytes(pyrage.passphrase.decrypt(base64.b64decode(document["wrapped"]),
                                              passphrase))
    except pyrage.DecryptError:
        raise WrongPassphrase("Wrong passphrase for this workspace (nothing was opened or "
                              "written).") from None
    if len(key) != KEY_SIZE or key_id(key) != document["key_id"]:
        raise DataKeyError(f"The key file {path} is damaged: the key it holds is not the "
                           "one it names.")
    return key


def check(path: Path, key: bytes) -> None:
    """Refuse ``key`` (e.g. from the OS keyring) when ``path`` names another key."""
    if key_id(key) != read_key_id(path):
        raise DataKeyError("The cached key is not this workspace's key.")


def rewrap(path: Path, old: str, new: str) -> None:
    """Wrap the same data key with passphrase ``new`` (the data is not rewritten)."""
    _check_passphrase(new)
    key = unwrap(path, old)
    _write(path, key, new)
