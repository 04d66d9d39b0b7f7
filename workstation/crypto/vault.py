"""Reading and writing the files a workspace keeps: through here, every file the
workspace writes is encrypted at rest when the workspace has a data key
(:mod:`workstation.crypto.datakey`, :mod:`workstation.crypto.filecrypt`), and every file
it reads is decrypted and authenticated.  A workspace without a key reads and writes
plain files, as before.

The originals (:class:`~workstation.evidence.store.EvidenceStore`), the gallery's
thumbnails and the redacted copies all go through one :class:`Vault`; nothing else in
the core opens those files itself.  A plain file met in an encrypted workspace (one
being converted, ``workstation encrypt``) is read as it is: whatever it holds is still
checked against its SHA-256 by the caller; ``verify`` reports it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from workstation.crypto import filecrypt
from workstation.files import CHUNK, AtomicFile, atomic_output

__all__ = ["Vault", "is_encrypted_file"]


def is_encrypted_file(path: Path) -> bool:
    """Whether the file at ``path`` is an encrypted workspace file (by its header)."""
    with open(path, "rb") as fh:
        return filecrypt.is_encrypted(fh.read(filecrypt.HEADER_SIZE))


class Vault:
    """The workspace's files, encrypted with ``key`` (32 bytes) or plain (``None``).

    The key never appears in ``repr`` or in any message."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and len(key) != 32:
            raise ValueError("a data key is 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return f"Vault(encrypted={self.encrypted})"

    @property
    def encrypted(self) -> bool:
        """Whether files written through this vault are encrypted."""
        return self._key is not None

    # ------------------------------------------------------------------ reading
    @contextmanager
    def open(self, path: Path) -> Iterator[BinaryIO]:
        """The plaintext of the file at ``path`` as a stream (``OSError`` as ``open``
        raises it; :class:`~workstation.crypto.filecrypt.FileDecryptionError` for a file
        that does not authenticate, or an encrypted file in a workspace without a key)."""
        with open(path, "rb") as fh:
            head = fh.read(filecrypt.HEADER_SIZE)
            fh.seek(0)
            if not filecrypt.is_encrypted(head):
                yield fh
                return
            if self._key is None:
                raise filecrypt.FileDecryptionError(
                    f"{path.name} is encrypted, but this workspace has no data key.")
            yield cast(BinaryIO, filecrypt.DecryptingReader(fh, self._key, path.name))

    def read_bytes(self, path: Path) -> bytes:
        """The whole plaintext of the file at ``path`` (see :meth:`open`)."""
        with self.open(path) as fh:
            return fh.read()

    def sha256(self, path: Path) -> str:
        """The SHA-256 of the plaintext of the file at ``path``, streamed."""
        digest = hashlib.sha256()
        with self.open(path) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    # ------------------------------------------------------------------ writing
    def wrap(self, raw: IO[bytes] | Any) -> Any:
        """A writer into the open file ``raw``: encrypting (close it to write the last
        chunk; ``raw`` stays open) or ``raw`` itself."""
        if self._key is None:
            return _Unclosed(raw)
        return filecrypt.EncryptingWriter(raw, self._key)

    def write_bytes(self, path: Path, data: bytes, *, mode: int, durable: bool = True,
                    staging: Path | None = None) -> None:
        """Write ``data`` to ``path`` atomically (encrypted when the vault has a key)."""
        if self._key is not None:
            data = filecrypt.encrypt_bytes(data, self._key)
        with atomic_output(path, mode, durable, staging) as out:
            out.write(data)

    def encrypt_file(self, path: Path, *, mode: int, staging: Path | None = None) -> bool:
        """Replace the plain file at ``path`` by its encrypted form, atomically, once the
        encrypted copy has been read back to the same SHA-256; ``False`` when it was
        encrypted already.  For converting a workspace (``workstation encrypt``)."""
        if self._key is None:
            raise ValueError("no data key to encrypt with")
        if is_encrypted_file(path):
            return False
        plain = hashlib.sha256()
        out = AtomicFile(path, mode, staging=staging)
        try:
            with open(path, "rb") as src, filecrypt.EncryptingWriter(out.file,
                                                                      self._key) as writer:
                while chunk := src.read(CHUNK):
                    plain.update(chunk)
                    writer.write(chunk)
            out.file.flush()
            # read the copy back before it replaces the plain file
            if self.sha256(Path(out.temporary)) != plain.hexdigest():
                raise filecrypt.FileDecryptionError(
                    f"The encrypted copy of {path.name} did not read back the same; the "
                    "plain file was kept.")
        except BaseException:
            out.discard()
            raise
        out.commit()
        return True


class _Unclosed:
    """``raw`` behind the writer interface, whose ``close`` leaves ``raw`` open."""

    def __init__(self, raw: IO[bytes] | Any) -> None:
        self._raw = raw

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return int(self._raw.write(data))

    def close(self) -> None:
        """Nothing to finish."""

    def __enter__(self) -> _Unclosed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
