"""age encryption (format v1, https://age-encryption.org/v1) written with the
``cryptography`` primitives, for the streams the workstation seals: alert packs and
case bundles.

Why not pyrage's ``encrypt_io`` here: it holds Python's GIL while it encrypts and calls
back into Python for every 8 KiB it reads, so a ZIP streamed into it ran at about a third
of the ``age`` CLI's speed (``bench/pack_bench.py``, ``bench/exchange_bench.py``).  Here
the header is built once (X25519 and ssh-ed25519 recipient stanzas, as age's own Go code
builds them), and the payload -- age's STREAM: 64 KiB chunks of ChaCha20-Poly1305 under a
key derived from the file key and a random nonce -- is encrypted in a background thread
while the caller goes on zipping and hashing the next megabyte.

The output is an ordinary age file: the tests open every kind of it with the ``age`` CLI
and with pyrage (``tests/core/crypto/test_agestream.py``).  Decryption stays with pyrage.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import queue
import threading
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from workstation.crypto.recipients import InvalidRecipient, Recipient, parse_recipient
from workstation.errors import WorkstationError
from workstation.files import CloseOrAbort, atomic_output

__all__ = ["AgeError", "EncryptingWriter", "EncryptionFailed", "header"]

INTRO = b"age-encryption.org/v1\n"
CHUNK = 64 << 10
TAG = 16
#: Plaintext handed to the encrypting thread at a time (a whole number of chunks).
BATCH = 16 * CHUNK
#: Buffers of BATCH bytes the writer fills in turn while the thread encrypts: memory
#: stays under ten MiB.  They are allocated once and reused -- a fresh megabyte for
#: every batch cost more than the encryption (the kernel zeroes each new page).
SLOTS = 5
_X25519_LABEL = b"age-encryption.org/v1/X25519"
_SSH_LABEL = b"age-encryption.org/v1/ssh-ed25519"
_ZERO_NONCE = bytes(12)
#: The prime of Curve25519, for mapping an Ed25519 public key to its X25519 one.
_P = 2**255 - 19


class AgeError(WorkstationError):
    """age encryption or decryption failed."""


class EncryptionFailed(AgeError):
    """A file could not be encrypted."""


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _hkdf(ikm: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _x25519(scalar: bytes, point: bytes) -> bytes:
    """X25519(scalar, point) (RFC 7748, the scalar clamped as age's Go code does); a
    low-order point (an all-zero result) raises ``ValueError``."""
    return X25519PrivateKey.from_private_bytes(scalar).exchange(
        X25519PublicKey.from_public_bytes(point))


def _wrap(shared: bytes, salt: bytes, label: bytes, file_key: bytes) -> bytes:
    wrapping = _hkdf(shared, salt, label)
    return ChaCha20Poly1305(wrapping).encrypt(_ZERO_NONCE, file_key, None)


def _ephemeral() -> tuple[bytes, bytes]:
    secret = os.urandom(32)
    share = X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return secret, share


def _x25519_stanza(recipient: Recipient, file_key: bytes) -> tuple[list[bytes], bytes]:
    their = recipient.key_data
    secret, share = _ephemeral()
    body = _wrap(_x25519(secret, their), share + their, _X25519_LABEL, file_key)
    return [b"X25519", _b64(share)], body


def _ed25519_to_x25519(public: bytes) -> bytes:
    """The Montgomery u-coordinate of an Ed25519 public key: u = (1 + y) / (1 - y)."""
    y = int.from_bytes(public, "little") & ((1 << 255) - 1)
    if y >= _P or (1 - y) % _P == 0:
        raise EncryptionFailed("The ssh-ed25519 recipient is not a valid key.")
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    return u.to_bytes(32, "little")


def _ssh_stanza(recipient: Recipient, file_key: bytes) -> tuple[list[bytes], bytes]:
    wire = recipient.key_data  # string "ssh-ed25519", string key
    their = _ed25519_to_x25519(wire[-32:])
    secret, share = _ephemeral()
    tweak = _hkdf(b"", wire, _SSH_LABEL)
    shared = _x25519(tweak, _x25519(secret, their))
    body = _wrap(shared, share + their, _SSH_LABEL, file_key)
    return [b"ssh-ed25519", _b64(hashlib.sha256(wire).digest()[:4]), _b64(share)], body


def header(recipients: Iterable[Recipient | str], file_key: bytes) -> bytes:
    """The age header wrapping ``file_key`` for each recipient, with its MAC."""
    lines = [INTRO]
    # parsed again even when given as Recipient objects: that checks each key (an
    # ssh-ed25519 point on the curve, an age1 checksum) before it is used here
    parsed = [parse_recipient(r.text if isinstance(r, Recipient) else r) for r in recipients]
    if not parsed:
        raise InvalidRecipient("At least one recipient is needed to encrypt.")
    for recipient in parsed:
        try:
            args, body = (_x25519_stanza(recipient, file_key) if recipient.kind == "x25519"
                          else _ssh_stanza(recipient, file_key))
        except ValueError:  # a low-order point: no shared secret
            raise EncryptionFailed(f"Cannot encrypt to {recipient.fingerprint[:16]}…: the "
                                   "key is not usable (a low-order point).") from None
        encoded = _b64(body)
        wrapped = [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
        if not wrapped or len(wrapped[-1]) == 64:
            wrapped.append(b"")  # the body's last line is shorter than 64 columns
        lines.append(b"-> " + b" ".join(args) + b"\n")
        lines.extend(line + b"\n" for line in wrapped)
    lines.append(b"---")
    text = b"".join(lines)
    mac = hmac.new(_hkdf(file_key, None, b"header"), text, hashlib.sha256).digest()
    return text + b" " + _b64(mac) + b"\n"


class _Payload:
    """age's STREAM: chunk ``i`` is ChaCha20-Poly1305 with nonce ``i`` (11 bytes, big
    endian) and a last-chunk flag byte."""

    def __init__(self, file_key: bytes) -> None:
        self.nonce = os.urandom(16)
        self._aead = ChaCha20Poly1305(_hkdf(file_key, self.nonce, b"payload"))
        self._counter = 0

    def seal_into(self, data: memoryview, out: memoryview, *, last: bool) -> int:
        """Encrypt ``data`` (whole chunks, except on the last call) into ``out``; the
        number of bytes written there."""
        done = 0
        for start in range(0, max(len(data), 1), CHUNK):
            piece = data[start:start + CHUNK]
            final = last and start + CHUNK >= len(data)
            nonce = self._counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
            self._counter += 1
            self._aead.encrypt_into(nonce, piece, None, out[done:done + len(piece) + TAG])
            done += len(piece) + TAG
        return done


def _write_all(out: Any, data: memoryview) -> None:
    """``out.write`` until all of ``data`` is written (a raw file may write less)."""
    while data:
        written = out.write(data)
        data = data[len(data) if written is None else written:]


def _failure(exc: BaseException) -> EncryptionFailed:
    if isinstance(exc, EncryptionFailed):
        return exc
    if isinstance(exc, OSError):
        return EncryptionFailed(f"Encryption failed: {exc.strerror or exc}.")
    return EncryptionFailed(f"Encryption failed: {exc!r}.")


class EncryptingWriter(CloseOrAbort):
    """A write-only binary file object whose bytes are age-encrypted on the fly.

    ``dst`` is a path (written atomically, removed again if anything fails) or any
    object with ``write``.  Use as a context manager; an exception inside the ``with``
    block aborts: a path output is removed and the exception propagates.  Writes are
    cut into whole chunks and encrypted and written by a background thread; a failure
    there (a full disk) is raised as :class:`EncryptionFailed` by the next ``write``
    or by ``close``.  Not seekable, so :class:`zipfile.ZipFile` writes data descriptors.
    The output is given views of a reused buffer: it must copy what it is given (files
    and ``BytesIO`` do), not keep the view.
    """

    def __init__(self, dst: str | os.PathLike[str] | Any,
                 recipients: Iterable[Recipient | str]) -> None:
        file_key = os.urandom(16)
        head = header(recipients, file_key)
        self._payload = _Payload(file_key)
        self._error: BaseException | None = None
        self._closed = False
        self._position = 0
        self._slots = [memoryview(bytearray(BATCH)) for _ in range(SLOTS)]
        self._free: queue.Queue[int] = queue.Queue()
        for number in range(1, SLOTS):
            self._free.put(number)
        self._slot = 0  # the one being filled, up to self._filled bytes
        self._filled = 0
        self._atomic: Any = None
        if isinstance(dst, str | os.PathLike):
            atomic = atomic_output(dst, 0o644)
            try:
                self._out = atomic.__enter__()
            except OSError as exc:
                raise EncryptionFailed(
                    f"Cannot create {os.fspath(dst)!r}: {exc.strerror}.") from None
            self._atomic = atomic
        else:
            self._out = dst
        self._queue: queue.Queue[tuple[int, int, bool] | None] = queue.Queue()
        try:
            _write_all(self._out, memoryview(head + self._payload.nonce))
        except OSError as exc:
            self._closed = True
            self._finish_atomic(ok=False)
            raise _failure(exc) from None
        self._thread = threading.Thread(target=self._run, name="age-encrypt", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sealed = memoryview(bytearray(BATCH + BATCH // CHUNK * TAG))
        while True:
            item = self._queue.get()
            if item is None:
                return
            slot, size, last = item
            try:
                if self._error is None:  # else drain: the writer learns of it next call
                    done = self._payload.seal_into(self._slots[slot][:size], sealed,
                                                   last=last)
                    _write_all(self._out, sealed[:done])
            except BaseException as exc:  # handed to the writing thread
                self._error = exc
            finally:
                self._free.put(slot)

    # -- file-object protocol -------------------------------------------------

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._closed

    def tell(self) -> int:
        """Plaintext bytes written so far (zipfile asks for it)."""
        return self._position

    def flush(self) -> None:
        """Nothing to do: whole chunks go to the encrypting thread as they fill."""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed EncryptingWriter")
        if self._error is not None:
            raise _failure(self._error)
        try:
            view = memoryview(data).cast("B")
            size = len(view)
            while view:
                if self._filled == BATCH:
                    # full, and more follows: not the last chunk, so it can go.  The next
                    # buffer is taken first: interrupted while waiting for it, nothing has
                    # been handed on and this one is still the one being filled.
                    following = self._free.get()
                    self._queue.put((self._slot, BATCH, False))
                    self._slot, self._filled = following, 0
                    if self._error is not None:
                        raise _failure(self._error)
                take = min(len(view), BATCH - self._filled)
                self._slots[self._slot][self._filled:self._filled + take] = view[:take]
                self._filled += take
                view = view[take:]
        except BaseException as exc:
            # a write cut short (an interrupt, say) leaves the stream incomplete: the
            # file must not be closed as if whole
            self._error = self._error or exc
            raise
        self._position += size
        return size

    def close(self) -> None:
        """Finish the encryption; raise :class:`EncryptionFailed` if it went wrong."""
        if self._closed:
            return
        self._closed = True
        if self._error is None:
            self._queue.put((self._slot, self._filled, True))
        self._queue.put(None)
        self._thread.join()
        self._wipe()
        if self._error is not None:
            self._finish_atomic(ok=False)
            raise _failure(self._error)
        try:
            self._finish_atomic(ok=True)
        except OSError as exc:  # the last flush or fsync (a full disk)
            raise _failure(exc) from None

    def abort(self) -> None:
        """Stop and discard the output (a path output is removed)."""
        if self._closed:
            return
        self._closed = True
        self._error = self._error or EncryptionFailed("Encryption was aborted.")
        self._queue.put(None)
        self._thread.join()
        self._wipe()
        self._finish_atomic(ok=False)

    def _wipe(self) -> None:
        """No plaintext left in the buffers once the stream is over."""
        for slot in self._slots:
            slot[:] = bytes(len(slot))

    def _finish_atomic(self, *, ok: bool) -> None:
        if self._atomic is None:
            return
        atomic, self._atomic = self._atomic, None
        if ok:
            atomic.__exit__(None, None, None)
        else:
            error = EncryptionFailed("Encryption was aborted.")
            with contextlib.suppress(EncryptionFailed):
                atomic.__exit__(type(error), error, None)

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            with contextlib.suppress(Exception):
                self.abort()
