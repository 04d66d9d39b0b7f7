"""Storage of secrets (the agency signing key, SMTP passwords) under a name.

Two backends:

* **OS keyring** — through the ``keyring`` package, when a *secure* backend is
  available (macOS Keychain, Windows Credential Locker, Secret Service /
  KWallet on Linux).  The fail, null, chained-with-insecure and plaintext-file
  backends (including everything from ``keyrings.alt``) do not count.
* **Passphrase-encrypted files** — otherwise, or when forced: one file
  ``<name>.age`` per secret in a given directory, encrypted with age's scrypt
  passphrase mode (``pyrage.passphrase``), mode 0600, written atomically.  The
  same passphrase protects every secret of a store.  It comes from an
  environment variable named by the caller (``passphrase_env``, for CI and
  scripts) or from a ``passphrase_provider`` callable (the UI's or CLI's
  prompt), is kept in memory only for the life of the store object once it has
  been proven right, and is never written anywhere.  A file can be opened with
  the standard CLI too: ``age -d signing-key.age``.

Secrets are bytes; the keyring backend stores them base64-encoded.  Secret
values and passphrases never appear in exception messages or ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyrage

from workstation.errors import NotFound, WorkstationError
from workstation.files import atomic_write

__all__ = [
    "KeyringUnavailable",
    "PassphraseRequest",
    "PassphraseUnavailable",
    "SecretNotFound",
    "SecretStore",
    "SecretStoreError",
    "WrongPassphrase",
    "secure_keyring",
]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SUFFIX = ".age"
_MAX_SECRET_FILE = 1 << 20

#: keyring backends that do not protect secrets (by module prefix).
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
_INSECURE_CLASS_NAMES = {"PlaintextKeyring", "EncryptedKeyring", "UncryptedFileKeyring"}


class SecretStoreError(WorkstationError):
    """A secret could not be stored or read."""


class SecretNotFound(SecretStoreError, NotFound):
    """No secret is stored under that name."""


class WrongPassphrase(SecretStoreError):
    """The passphrase does not open the secret store (or the file is damaged)."""


class PassphraseUnavailable(SecretStoreError):
    """No passphrase was supplied for the encrypted-file store."""


class KeyringUnavailable(SecretStoreError):
    """The OS keyring was requested but is missing or failed."""


@dataclass(frozen=True, slots=True)
class PassphraseRequest:
    """What a passphrase prompt is for.

    ``creating`` is true when the store has no secret yet, so the passphrase
    being chosen now will protect everything: a UI should ask twice.
    """

    name: str
    directory: Path
    creating: bool

    @property
    def prompt(self) -> str:
        """A sentence to show the user."""
        if self.creating:
            return (
                f"Choose a passphrase to protect the secrets in {self.directory} "
                f"(needed to store {self.name!r})."
            )
        return f"Passphrase for the secrets in {self.directory} (to open {self.name!r}):"


PassphraseProvider = Callable[[PassphraseRequest], str]


def _is_secure_backend(backend: Any) -> bool:
    module = type(backend).__module__
    if module.startswith(_INSECURE_MODULES) or type(backend).__name__ in _INSECURE_CLASS_NAMES:
        return False
    children = getattr(backend, "backends", None)
    if module == "keyring.backends.chainer" or children is not None:
        children = list(children or [])
        return bool(children) and all(_is_secure_backend(child) for child in children)
    try:  # keyring raises from ``priority`` when a backend cannot work here
        return float(backend.priority) > 0
    except Exception:
        return False


def secure_keyring() -> Any | None:
    """The current keyring backend if it is a secure one, else ``None``."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:
        return None
    return backend if _is_secure_backend(backend) else None


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise SecretStoreError(
            f"Invalid secret name {name!r}: use 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


class SecretStore:
    """Secrets by name, in the OS keyring or in passphrase-encrypted files.

    ``backend``: ``"auto"`` (keyring if a secure one exists, else files),
    ``"keyring"`` (fail if none) or ``"file"`` (always files; tests and CI).
    ``directory`` is where the file backend keeps its files (created 0700).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        service: str = "analyst-workstation",
        *,
        passphrase_provider: PassphraseProvider | None = None,
        passphrase_env: str | None = None,
        backend: Literal["auto", "keyring", "file"] = "auto",
    ) -> None:
        self.directory = Path(directory)
        self.service = service
        self._provider = passphrase_provider
        self._env = passphrase_env
        self._passphrase: str | None = None
        self._keyring: Any | None = None
        if backend not in ("auto", "keyring", "file"):
            raise ValueError(f"unknown backend {backend!r}")
        if backend != "file":
            self._keyring = secure_keyring()
            if self._keyring is None and backend == "keyring":
                raise KeyringUnavailable(
                    "No secure OS keyring is available on this system; use the "
                    "passphrase-protected file store instead."
                )

    def __repr__(self) -> str:
        return f"SecretStore({self.backend_description()!r})"

    @property
    def uses_keyring(self) -> bool:
        """Whether secrets go to the OS keyring (else to encrypted files)."""
        return self._keyring is not None

    def keyring_name(self) -> str:
        """The OS keyring's name ("SecretService Keyring"); empty when none is used."""
        if self._keyring is None:
            return ""
        kind = type(self._keyring)
        return str(getattr(self._keyring, "name", None) or f"{kind.__module__}.{kind.__name__}")

    def backend_description(self) -> str:
        """A short description of where secrets are kept, for the user."""
        if self._keyring is not None:
            return f"OS keyring ({self.keyring_name()}), service {self.service!r}"
        return f"passphrase-encrypted files (age/scrypt) in {self.directory}"

    # -- public API ---------------------------------------------------------------

    def put(self, name: str, secret: bytes) -> None:
        """Store ``secret`` under ``name``, replacing any previous value."""
        _check_name(name)
        if not isinstance(secret, bytes | bytearray):
            raise TypeError("secret must be bytes")
        if self._keyring is not None:
            self._keyring_call(
                "store", name, self._keyring.set_password, self.service, name,
                base64.b64encode(bytes(secret)).decode("ascii"),
            )  # fmt: skip
            return
        passphrase = self._passphrase_for(name, writing=True)
        try:
            blob = pyrage.passphrase.encrypt(bytes(secret), passphrase)
        except pyrage.EncryptError:
            raise SecretStoreError(f"Could not encrypt the secret {name!r}.") from None
        self._write_atomic(self._path(name), blob)
        self._passphrase = passphrase

    def get(self, name: str) -> bytes:
        """The secret stored under ``name``; :class:`SecretNotFound` if there is none."""
        _check_name(name)
        if self._keyring is not None:
            value = self._keyring_call("read", name, self._keyring.get_password, self.service, name)
            if value is None:
                raise SecretNotFound(f"No secret named {name!r} is stored in the OS keyring.")
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise SecretStoreError(
                    f"The keyring entry {name!r} was not written by this application."
                ) from None
        path = self._path(name)
        blob = self._read(path, name)
        passphrase = self._passphrase_for(name, writing=False)
        secret = self._decrypt(blob, passphrase, name)
        self._passphrase = passphrase
        return secret

    def has(self, name: str) -> bool:
        """Whether a secret is stored under ``name`` (never asks for a passphrase)."""
        _check_name(name)
        if self._keyring is not None:
            getter = self._keyring.get_password
            return self._keyring_call("read", name, getter, self.service, name) is not None
        return self._path(name).is_file()

    def delete(self, name: str) -> None:
        """Remove the secret ``name``; :class:`SecretNotFound` if there is none."""
        _check_name(name)
        if self._keyring is not None:
            import keyring.errors

            try:
                self._keyring.delete_password(self.service, name)
            except keyring.errors.PasswordDeleteError:
                raise SecretNotFound(
                    f"No secret named {name!r} is stored in the OS keyring."
                ) from None
            except keyring.errors.KeyringError as exc:
                raise KeyringUnavailable(
                    f"The OS keyring refused to delete {name!r}: {type(exc).__name__}."
                ) from None
            return
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            raise SecretNotFound(
                f"No secret named {name!r} is stored in {self.directory}."
            ) from None

    def forget_passphrase(self) -> None:
        """Drop the passphrase kept in memory; the next access asks again."""
        self._passphrase = None

    # -- helpers --------------------------------------------------------------------

    def _keyring_call(self, action: str, name: str, func: Callable[..., Any], *args: Any) -> Any:
        import keyring.errors

        try:
            return func(*args)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The OS keyring could not {action} the secret {name!r} "
                f"({type(exc).__name__}); is it locked?"
            ) from None

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}{_SUFFIX}"

    def _existing_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob(f"*{_SUFFIX}") if p.is_file())

    def _passphrase_for(self, name: str, *, writing: bool) -> str:
        if self._passphrase is not None:
            return self._passphrase
        others = self._existing_files()
        creating = writing and not others
        passphrase = self._obtain(name, creating=creating)
        if writing and others:
            # Prove the passphrase on an existing secret so one store never mixes two.
            probe = others[0]
            self._decrypt(self._read(probe, probe.stem), passphrase, probe.stem)
        return passphrase

    def _obtain(self, name: str, *, creating: bool) -> str:
        if self._env:
            value = os.environ.get(self._env)
            if value:
                return value
        if self._provider is not None:
            value = self._provider(PassphraseRequest(name, self.directory, creating))
            if not value:
                raise PassphraseUnavailable("An empty passphrase is not accepted.")
            return value
        hint = f" (set the environment variable {self._env})" if self._env else ""
        raise PassphraseUnavailable(
            f"A passphrase is needed to open the secrets in {self.directory}{hint}."
        )

    def _read(self, path: Path, name: str) -> bytes:
        try:
            with open(path, "rb") as fh:
                blob = fh.read(_MAX_SECRET_FILE + 1)
        except FileNotFoundError:
            raise SecretNotFound(
                f"No secret named {name!r} is stored in {self.directory}."
            ) from None
        except OSError as exc:
            raise SecretStoreError(f"Cannot read the secret {name!r}: {exc.strerror}.") from None
        if len(blob) > _MAX_SECRET_FILE:
            raise SecretStoreError(f"The secret file for {name!r} is too large; it is not ours.")
        return blob

    def _decrypt(self, blob: bytes, passphrase: str, name: str) -> bytes:
        try:
            return bytes(pyrage.passphrase.decrypt(blob, passphrase))
        except pyrage.DecryptError:
            raise WrongPassphrase(
                f"Wrong passphrase for the secret {name!r} in {self.directory} "
                "(or its file is damaged)."
            ) from None

    def _write_atomic(self, path: Path, data: bytes) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write(path, data, mode=0o600)
        except OSError as exc:
            raise SecretStoreError(
                f"Cannot write the secret {path.stem!r}: {exc.strerror}."
            ) from None
