"""Streaming age encryption and decryption of files.

Alert packs are encrypted with `age <https://age-encryption.org>`_ so that
the platform's contact opens them with the standard ``age -d`` CLI.  This
module uses pyrage's ``encrypt_io`` / ``decrypt_io``, which read and write
Python file objects in 64 KiB STREAM chunks, so files of any size are
processed with constant memory.  No ``age`` binary is needed.

Besides whole-file helpers (:func:`encrypt_file`, :func:`decrypt_file`) there
is :class:`EncryptingWriter` (:mod:`workstation.crypto.agestream`), a writable
file object whose bytes are age-encrypted on the fly, in a background thread.
It lets a ZIP be written straight into an encrypted file without a plaintext
copy on disk, at the ``age`` CLI's pace rather than pyrage's.

Outputs are written atomically: to a temporary file next to the destination,
renamed into place only on success.  This matters most for decryption, where
age detects a truncated or altered file only at the end: a failed decryption
leaves no partial plaintext behind.

Identities (private keys) are never echoed in error messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

import pyrage

from workstation.crypto.agestream import AgeError, EncryptingWriter, EncryptionFailed
from workstation.crypto.recipients import Recipient, recipients_to_pyrage
from workstation.files import atomic_output

__all__ = [
    "AgeError",
    "DecryptionFailed",
    "EncryptingWriter",
    "EncryptionFailed",
    "HashingWriter",
    "IdentitiesSource",
    "InvalidIdentity",
    "WrongKey",
    "decrypt_file",
    "decrypt_stream",
    "encrypt_file",
    "encrypt_stream",
    "load_identities",
]

_OPENSSH_BEGIN = b"-----BEGIN OPENSSH PRIVATE KEY-----"
_AGE_SECRET_PREFIX = "AGE-SECRET-KEY-1"
_AGE_INTRO = b"age-encryption.org/v1\n"
_ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
#: An age header (intro, one stanza per recipient, MAC) ends within this many bytes.
MAX_HEADER = 64 << 10
#: An identity file is a few lines (age-keygen) or one OpenSSH key: read at most this much.
MAX_IDENTITY_FILE = 64 << 10


class DecryptionFailed(AgeError):
    """A file could not be decrypted (damaged, truncated, or not an age file)."""


class WrongKey(DecryptionFailed):
    """None of the supplied identities can open the file."""


class InvalidIdentity(AgeError):
    """An identity (private key) could not be read."""


class _Hasher(Protocol):
    def update(self, data: Any, /) -> None: ...


#: An identity file path, or identities as texts (``AGE-SECRET-KEY-1…``, an
#: OpenSSH private key) or pyrage identity objects.
IdentitiesSource = str | os.PathLike[str] | Sequence[Any]


# ---------------------------------------------------------------------------
# Identities


def _identities_from_text(data: bytes, origin: str) -> list[Any]:
    if data.lstrip().startswith(_OPENSSH_BEGIN):
        try:
            return [pyrage.ssh.Identity.from_buffer(data)]
        except pyrage.IdentityError as exc:
            if "decrypted" in str(exc):
                raise InvalidIdentity(
                    f"The SSH private key in {origin} is protected by a passphrase, which is "
                    "not supported here; decrypt with the age CLI instead."
                ) from None
            raise InvalidIdentity(f"The SSH private key in {origin} cannot be read.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidIdentity(f"{origin} is not a text identity file.") from None
    result = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.upper().startswith(_AGE_SECRET_PREFIX):
            raise InvalidIdentity(
                f"Line {number} of {origin} is not an age identity (AGE-SECRET-KEY-1…)."
            )
        try:
            result.append(pyrage.x25519.Identity.from_str(stripped.upper()))
        except pyrage.IdentityError:
            raise InvalidIdentity(
                f"Line {number} of {origin} is a damaged age identity (bad checksum or length)."
            ) from None
    if not result:
        raise InvalidIdentity(f"{origin} contains no identity.")
    return result


def read_identity_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an identity file, at most :data:`MAX_IDENTITY_FILE` of them (a device
    or a huge file is refused after reading that much)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_IDENTITY_FILE + 1)
    except OSError as exc:
        raise InvalidIdentity(
            f"Cannot read the identity file {os.fspath(path)!r}: {exc.strerror or exc}."
        ) from None
    if len(data) > MAX_IDENTITY_FILE:
        raise InvalidIdentity(f"{os.fspath(path)!r} is too large to be an identity file "
                              f"(more than {MAX_IDENTITY_FILE} bytes).")
    return data


def load_identities(source: IdentitiesSource) -> list[Any]:
    """Identities (pyrage objects) from an identity file or from texts/objects.

    An identity file is either ``age-keygen`` output (``AGE-SECRET-KEY-1…``
    lines, ``#`` comments) or an unencrypted OpenSSH private key.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return _identities_from_text(read_identity_file(path), f"identity file {str(path)!r}")
    result: list[Any] = []
    for item in source:
        if isinstance(item, str):
            result.extend(_identities_from_text(item.encode("utf-8"), "the given identity"))
        elif isinstance(item, bytes):
            result.extend(_identities_from_text(item, "the given identity"))
        else:
            result.append(item)
    if not result:
        raise InvalidIdentity("No identity was given to decrypt with.")
    return result


# ---------------------------------------------------------------------------
# Streams


def _encrypt_error(exc: Exception) -> EncryptionFailed:
    return EncryptionFailed(f"Encryption failed: {exc}.")


def _decrypt_error(exc: Exception, origin: str) -> DecryptionFailed:
    message = str(exc)
    if "No matching keys" in message:
        return WrongKey(
            f"None of the given keys can open {origin}: it was encrypted to other recipients."
        )
    if isinstance(exc, pyrage.DecryptError):
        return DecryptionFailed(f"{origin} is not a valid age file ({message}).")
    return DecryptionFailed(
        f"{origin} is damaged or truncated (age could not authenticate it: {message})."
    )


def encrypt_stream(
    src: IO[bytes] | BinaryIO,
    dst: Any,
    recipients: Iterable[Recipient | str],
    *,
    armor: bool = False,
) -> None:
    """Encrypt everything read from ``src`` into ``dst`` (any object with ``write``)."""
    targets = recipients_to_pyrage(recipients)
    try:
        pyrage.encrypt_io(src, dst, targets, armor)
    except (pyrage.EncryptError, OSError) as exc:
        raise _encrypt_error(exc) from None


class _CheckedSource:
    """The ciphertext, its start checked before pyrage sees it: an age header ends within
    :data:`MAX_HEADER` bytes (``/dev/zero`` or a huge line would otherwise be buffered
    whole in memory)."""

    def __init__(self, src: IO[bytes] | BinaryIO, origin: str) -> None:
        self._src = src
        head = bytearray()
        while len(head) < MAX_HEADER and b"\n---" not in head:
            chunk = src.read(min(4096, MAX_HEADER - len(head)))
            if not chunk:
                break
            head += chunk
        if head.lstrip().startswith(_ARMOR_BEGIN):
            pass  # armored: pyrage reads it line by line, each line bounded
        elif not head.startswith(_AGE_INTRO):
            raise DecryptionFailed(f"{origin} is not an age-encrypted file.")
        elif b"\n---" not in head:
            raise DecryptionFailed(f"{origin} is not a valid age file (no end of header in its "
                                   f"first {MAX_HEADER} bytes).")
        self._head = memoryview(bytes(head))

    def read(self, n: int = -1) -> bytes:
        if self._head:
            size = len(self._head) if n is None or n < 0 else min(n, len(self._head))
            out, self._head = bytes(self._head[:size]), self._head[size:]
            return out
        return self._src.read(n)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True


def decrypt_stream(
    src: IO[bytes] | BinaryIO,
    dst: Any,
    identities: IdentitiesSource,
    *,
    origin: str = "the input",
) -> None:
    """Decrypt ``src`` into ``dst``.

    Plaintext is written as it is authenticated chunk by chunk: if this
    raises, ``dst`` may hold a partial, untrustworthy plaintext that the
    caller must discard (the file helpers do).  What is not an age file is
    refused after reading at most :data:`MAX_HEADER` bytes.
    """
    ids = load_identities(identities)
    try:
        pyrage.decrypt_io(_CheckedSource(src, origin), dst, ids)
    except (pyrage.DecryptError, OSError) as exc:
        raise _decrypt_error(exc, origin) from None


# ---------------------------------------------------------------------------
# Files


def encrypt_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    recipients: Iterable[Recipient | str],
    *,
    armor: bool = False,
) -> None:
    """Encrypt file ``src`` to ``dst`` (atomically) for the given recipients."""
    recipient_list = list(recipients)
    recipients_to_pyrage(recipient_list)  # validate before touching files
    try:
        with open(src, "rb") as fin, atomic_output(dst, 0o644) as fout:
            encrypt_stream(fin, fout, recipient_list, armor=armor)
    except OSError as exc:
        raise EncryptionFailed(f"Cannot encrypt {os.fspath(src)!r}: {exc.strerror}.") from None


def decrypt_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    identities: IdentitiesSource,
) -> None:
    """Decrypt file ``src`` to ``dst`` (mode 0600, atomically: nothing is left on failure).

    ``identities`` is an identity file path or a sequence of identities
    (see :func:`load_identities`).
    """
    ids = load_identities(identities)
    origin = repr(os.fspath(src))
    try:
        with open(src, "rb") as fin, atomic_output(dst, 0o600) as fout:
            decrypt_stream(fin, fout, ids, origin=origin)
    except OSError as exc:
        raise DecryptionFailed(f"Cannot decrypt {origin}: {exc.strerror}.") from None


# ---------------------------------------------------------------------------
# Writer


class HashingWriter:
    """A write-through wrapper feeding every byte to some hashers (e.g. SHA-256, BLAKE2b)."""

    def __init__(self, raw: Any, *hashers: _Hasher) -> None:
        self._raw = raw
        self._hashers = hashers
        self.bytes_written = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        written = self._raw.write(view)
        n = len(view) if written is None else written
        chunk = view[:n]
        for hasher in self._hashers:
            hasher.update(chunk)
        self.bytes_written += n
        return n

    def flush(self) -> None:
        flush = getattr(self._raw, "flush", None)
        if flush is not None:
            flush()
