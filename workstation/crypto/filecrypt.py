"""Files encrypted at rest with the workspace's data key (:mod:`workstation.crypto.datakey`).

The format is age's STREAM construction with the data key in place of age's file key::

    "AWENC1\\n"  16 random bytes (the file's nonce)
    chunk 0 .. chunk n-1      each: AES-256-GCM(payload key, nonce_i, 1 MiB of plaintext)

The payload key is HKDF-SHA256(data key, salt = the file's nonce, info
"analyst-workstation file v1"), so no two files share a key; ``nonce_i`` is the
chunk's number (11 bytes, big-endian) and one byte, 1 on the last chunk and 0 on the
others, so a file cut at a chunk boundary, reordered or spliced fails to decrypt.
Every chunk is authenticated before a byte of it is returned.  A reader never needs
more than one chunk in memory; writing is streaming too.
"""

from __future__ import annotations

import io
import os
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from workstation.errors import WorkstationError

MAGIC = b"AWENC1\n"
NONCE_SIZE = 16
HEADER_SIZE = len(MAGIC) + NONCE_SIZE
CHUNK = 1 << 20
TAG = 16
INFO = b"analyst-workstation file v1"


class FileDecryptionError(WorkstationError):
    """An encrypted file is damaged, truncated, altered, or not ours (wrong key)."""


def _payload_key(data_key: bytes, nonce: bytes) -> AESGCM:
    if len(data_key) != 32:
        raise ValueError("the data key is 32 bytes")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce, info=INFO).derive(data_key)
    return AESGCM(key)


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def is_encrypted(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts an encrypted file."""
    return head.startswith(MAGIC)


def encrypted_size(plain_size: int) -> int:
    """The size of the encrypted file holding ``plain_size`` bytes."""
    chunks = max(1, -(-plain_size // CHUNK))
    return HEADER_SIZE + plain_size + chunks * TAG


class EncryptingWriter:
    """A write-only stream encrypting into ``raw``; :meth:`close` writes the last chunk
    (an empty file is one empty, authenticated chunk).  ``raw`` is not closed."""

    def __init__(self, raw: IO[bytes] | Any, data_key: bytes) -> None:
        nonce = os.urandom(NONCE_SIZE)
        self._aead = _payload_key(data_key, nonce)
        self._raw = raw
        self._buffer = bytearray()
        self._counter = 0
        self._closed = False
        raw.write(MAGIC + nonce)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed encrypting writer")
        self._buffer += data
        # keep at least one byte back: the last chunk is only known at close
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        self._raw.write(self._aead.encrypt(_chunk_nonce(self._counter, last), chunk, None))
        self._counter += 1

    def flush(self) -> None:
        """Chunks are written whole; nothing to flush before :meth:`close`."""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._emit(bytes(self._buffer), last=True)
            self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def __enter__(self) -> EncryptingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()


class DecryptingReader:
    """A read-only stream of the plaintext of the encrypted file ``raw`` (positioned at
    its start).  Raises :class:`FileDecryptionError` where a chunk does not
    authenticate: the bytes returned before it were authenticated."""

    def __init__(self, raw: IO[bytes] | Any, data_key: bytes, origin: str = "the file") -> None:
        header = raw.read(HEADER_SIZE)
        self._origin = origin
        if len(header) != HEADER_SIZE or not is_encrypted(header):
            raise FileDecryptionError(f"{origin} is not an encrypted workspace file.")
        self._aead = _payload_key(data_key, header[len(MAGIC):])
        self._raw = raw
        self._counter = 0
        self._plain = b""
        self._offset = 0
        self._done = False
        self._next = raw.read(CHUNK + TAG)

    def _fill(self) -> None:
        while self._offset >= len(self._plain) and not self._done:
            current = self._next
            self._next = self._raw.read(CHUNK + TAG)
            last = not self._next
            try:
                self._plain = self._aead.decrypt(_chunk_nonce(self._counter, last), current,
                                                 None)
            except InvalidTag:
                raise FileDecryptionError(
                    f"{self._origin} is damaged, truncated or altered, or was encrypted "
                    f"with another key (chunk {self._counter} does not authenticate)."
                ) from None
            self._offset = 0
            self._counter += 1
            self._done = last

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts: list[bytes] = []
            while True:
                part = self.read(CHUNK)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        self._fill()
        data = self._plain[self._offset:self._offset + n]
        self._offset += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """The underlying file is the caller's to close."""


def encrypt_bytes(data: bytes, data_key: bytes) -> bytes:
    """``data`` as an encrypted file's bytes."""
    out = io.BytesIO()
    with EncryptingWriter(out, data_key) as writer:
        writer.write(data)
    return out.getvalue()


def decrypt_bytes(blob: bytes, data_key: bytes, origin: str = "the file") -> bytes:
    """The plaintext of an encrypted file's bytes."""
    return DecryptingReader(io.BytesIO(blob), data_key, origin).read()
