"""The agency's Ed25519 signing identity, in minisign's file formats.

Alert packs are signed so that a platform's contact can check, with the
standard ``minisign`` CLI, that a pack really comes from the agency and was
not altered::

    minisign -Vm pack.zip.age -p agency.pub      # reads pack.zip.age.minisig

This module writes and reads minisign's formats directly (no minisign binary
is needed to sign):

* public key file: an ``untrusted comment:`` line, then
  ``base64("Ed" || key_id[8] || public_key[32])``;
* signature file: an ``untrusted comment:`` line,
  ``base64("ED" || key_id[8] || Ed25519(BLAKE2b-512(file)))``, a
  ``trusted comment: <text>`` line, and
  ``base64(Ed25519(signature[64] || trusted_comment))`` (the *global*
  signature, which makes the trusted comment tamper-evident).

Only the *prehashed* ("ED") signature algorithm is produced and accepted: it is
minisign's default since 0.8 and lets files of any size be signed and checked
while streaming them through BLAKE2b.  Legacy ("Ed") signatures are refused
with a clear message.

Key rotation: every key has an 8-byte random key id that also appears in each
signature, so a verifier holding several :class:`PublicKey` objects picks the
right one with :func:`find_public_key` / :func:`verify_file_with_keys`.

The private key is never rendered as text; :meth:`SigningKey.to_bytes` gives
the 40 raw bytes (seed and key id) meant for
:class:`workstation.crypto.secretstore.SecretStore`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from workstation.errors import WorkstationError

__all__ = [
    "BadGlobalSignature",
    "BadSignature",
    "MalformedKey",
    "MalformedSignature",
    "PublicKey",
    "Signature",
    "SignatureError",
    "SigningKey",
    "WrongSigningKey",
    "find_public_key",
    "format_key_id",
    "generate_key",
    "minisign_hasher",
    "parse_public_key",
    "parse_signature",
    "sign_digest",
    "sign_file",
    "verify_digest",
    "verify_file",
    "verify_file_with_keys",
]

_PUBKEY_ALG = b"Ed"
_SIG_ALG_PREHASHED = b"ED"
_SIG_ALG_LEGACY = b"Ed"
_KEY_ID_LEN = 8
_UNTRUSTED_PREFIX = "untrusted comment: "
_TRUSTED_PREFIX = "trusted comment: "
#: minisign reads comment lines into fixed buffers; stay well inside them.
MAX_TRUSTED_COMMENT_BYTES = 4096
MAX_UNTRUSTED_COMMENT_BYTES = 900
_CHUNK = 1 << 20
_RAW_KEY_LEN = 32 + _KEY_ID_LEN


class SignatureError(WorkstationError):
    """A signature or key could not be used or did not verify."""


class MalformedKey(SignatureError):
    """A public or private key is not in the expected format."""


class MalformedSignature(SignatureError):
    """A ``.minisig`` text is not in minisign's format."""


class WrongSigningKey(SignatureError):
    """The signature was made by a different key than the one supplied."""


class BadSignature(SignatureError):
    """The file's signature does not verify: the file was altered or is not the signed one."""


class BadGlobalSignature(SignatureError):
    """The trusted comment was altered (its global signature does not verify)."""


def format_key_id(key_id: bytes) -> str:
    """Render a key id the way minisign prints it (little-endian, upper-case hex)."""
    return format(int.from_bytes(key_id, "little"), "X")


def _b64decode(text: str, what: str, exc: type[SignatureError]) -> bytes:
    try:
        return binascii.a2b_base64(text.strip().encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise exc(f"The {what} is not valid base64; the text is damaged or incomplete.") from None


def _check_comment(text: str, what: str, limit: int) -> bytes:
    if "\n" in text or "\r" in text:
        raise SignatureError(f"The {what} must be a single line.")
    data = text.encode("utf-8")
    if len(data) > limit:
        raise SignatureError(f"The {what} is too long ({len(data)} bytes, at most {limit}).")
    return data


# ---------------------------------------------------------------------------
# Keys


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A minisign public key: 8-byte key id and 32-byte Ed25519 key.

    ``created`` is optional metadata (ISO 8601 UTC) for key rotation lists;
    it is not part of the minisign format.
    """

    key_id: bytes
    public_bytes: bytes
    created: str | None = None

    def __post_init__(self) -> None:
        if len(self.key_id) != _KEY_ID_LEN or len(self.public_bytes) != 32:
            raise MalformedKey("A minisign public key needs an 8-byte key id and a 32-byte key.")

    @property
    def key_id_hex(self) -> str:
        """The key id as minisign prints it."""
        return format_key_id(self.key_id)

    def minisign_text(self, comment: str | None = None) -> str:
        """The text of a minisign ``.pub`` file for this key."""
        if comment is None:
            comment = f"minisign public key {self.key_id_hex}"
        _check_comment(comment, "untrusted comment", MAX_UNTRUSTED_COMMENT_BYTES)
        blob = _PUBKEY_ALG + self.key_id + self.public_bytes
        return f"{_UNTRUSTED_PREFIX}{comment}\n{base64.b64encode(blob).decode('ascii')}\n"

    def base64(self) -> str:
        """The key as the single base64 line minisign's ``-P`` option takes."""
        return base64.b64encode(_PUBKEY_ALG + self.key_id + self.public_bytes).decode("ascii")

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-friendly form for keeping several keys (rotation)."""
        return {"key_id": self.key_id_hex, "created": self.created, "minisign": self.base64()}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> PublicKey:
        """Inverse of :meth:`to_dict`; the key id is checked against the key text."""
        text = data.get("minisign")
        if not text:
            raise MalformedKey("The stored public key has no minisign key text.")
        key = parse_public_key(text, created=data.get("created"))
        if data.get("key_id") not in (None, key.key_id_hex):
            raise MalformedKey(
                f"The stored public key's id {data.get('key_id')} does not match its "
                f"key text ({key.key_id_hex})."
            )
        return key

    def _ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_bytes)


def parse_public_key(text: str, *, created: str | None = None) -> PublicKey:
    """Parse a minisign public key: a whole ``.pub`` file or just its base64 line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise MalformedKey("The minisign public key is empty.")
    if lines[0].startswith(_UNTRUSTED_PREFIX.strip()):
        lines = lines[1:]
    if len(lines) != 1:
        raise MalformedKey(
            "A minisign public key is one 'untrusted comment:' line and one base64 line."
        )
    blob = _b64decode(lines[0], "minisign public key", MalformedKey)
    if len(blob) != 2 + _KEY_ID_LEN + 32:
        raise MalformedKey(
            f"The minisign public key has {len(blob)} bytes instead of 42; is it a public key?"
        )
    if blob[:2] != _PUBKEY_ALG:
        raise MalformedKey("The minisign public key uses an unknown algorithm (expected 'Ed').")
    return PublicKey(key_id=blob[2:10], public_bytes=blob[10:], created=created)


def find_public_key(keys: Iterable[PublicKey], key_id: bytes) -> PublicKey | None:
    """The key with this key id among ``keys``, or ``None``."""
    for key in keys:
        if key.key_id == key_id:
            return key
    return None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The agency's Ed25519 private key together with its minisign key id."""

    key_id: bytes
    _private: Ed25519PrivateKey = field(repr=False)
    created: str | None = None

    def __post_init__(self) -> None:
        if len(self.key_id) != _KEY_ID_LEN:
            raise MalformedKey("A minisign key id is 8 bytes.")

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(key_id={self.key_id_hex}, created={self.created!r})"

    @property
    def key_id_hex(self) -> str:
        """The key id as minisign prints it."""
        return format_key_id(self.key_id)

    def public_key(self) -> PublicKey:
        """The matching public key."""
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return PublicKey(key_id=self.key_id, public_bytes=raw, created=self.created)

    def public_key_minisign(self, comment: str | None = None) -> str:
        """The text of the minisign ``.pub`` file to give to platforms."""
        return self.public_key().minisign_text(comment)

    def to_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 seed followed by the 8-byte key id (a secret!)."""
        seed = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return seed + self.key_id

    @classmethod
    def from_bytes(cls, data: bytes, *, created: str | None = None) -> SigningKey:
        """Inverse of :meth:`to_bytes`."""
        if len(data) != _RAW_KEY_LEN:
            raise MalformedKey(
                f"A stored signing key is {_RAW_KEY_LEN} bytes; this one has {len(data)}."
            )
        private = Ed25519PrivateKey.from_private_bytes(bytes(data[:32]))
        return cls(key_id=bytes(data[32:]), _private=private, created=created)

    def _sign(self, data: bytes) -> bytes:
        return self._private.sign(data)


def generate_key() -> SigningKey:
    """A new random signing key with a random key id."""
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    return SigningKey(
        key_id=secrets.token_bytes(_KEY_ID_LEN),
        _private=Ed25519PrivateKey.generate(),
        created=created,
    )


# ---------------------------------------------------------------------------
# Signatures


@dataclass(frozen=True, slots=True)
class Signature:
    """A parsed minisign signature file."""

    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes
    untrusted_comment: str

    @property
    def key_id_hex(self) -> str:
        """The signer's key id as minisign prints it."""
        return format_key_id(self.key_id)


def minisign_hasher() -> hashlib.blake2b:
    """A fresh BLAKE2b-512 hasher, as minisign uses for prehashed signatures.

    Feed it the bytes of a file while writing it, then give its digest to
    :func:`sign_digest` to avoid reading the file a second time.
    """
    return hashlib.blake2b(digest_size=64)


def _hash_file(path: str | os.PathLike[str]) -> bytes:
    hasher = minisign_hasher()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                hasher.update(chunk)
    except OSError as exc:
        raise SignatureError(f"Cannot read {os.fspath(path)!r}: {exc.strerror}.") from None
    return hasher.digest()


def sign_digest(
    key: SigningKey,
    digest: bytes,
    trusted_comment: str,
    *,
    untrusted_comment: str | None = None,
) -> str:
    """The ``.minisig`` text for a file whose BLAKE2b-512 digest is ``digest``."""
    if len(digest) != 64:
        raise SignatureError("A minisign prehash is a 64-byte BLAKE2b-512 digest.")
    tc = _check_comment(trusted_comment, "trusted comment", MAX_TRUSTED_COMMENT_BYTES)
    if untrusted_comment is None:
        untrusted_comment = f"signature from Analyst Workstation key {key.key_id_hex}"
    _check_comment(untrusted_comment, "untrusted comment", MAX_UNTRUSTED_COMMENT_BYTES)
    sig = key._sign(digest)
    global_sig = key._sign(sig + tc)
    sig_line = base64.b64encode(_SIG_ALG_PREHASHED + key.key_id + sig).decode("ascii")
    global_line = base64.b64encode(global_sig).decode("ascii")
    return (
        f"{_UNTRUSTED_PREFIX}{untrusted_comment}\n{sig_line}\n"
        f"{_TRUSTED_PREFIX}{trusted_comment}\n{global_line}\n"
    )


def sign_file(
    key: SigningKey,
    path: str | os.PathLike[str],
    trusted_comment: str | None = None,
    *,
    untrusted_comment: str | None = None,
) -> str:
    """Sign a file (streamed through BLAKE2b) and return the ``.minisig`` text.

    Without ``trusted_comment``, minisign's own default is used:
    ``timestamp:<unix time>\\tfile:<name>\\thashed``.
    """
    if trusted_comment is None:
        trusted_comment = f"timestamp:{int(time.time())}\tfile:{Path(path).name}\thashed"
    digest = _hash_file(path)
    return sign_digest(key, digest, trusted_comment, untrusted_comment=untrusted_comment)


def parse_signature(sig_text: str) -> Signature:
    """Parse the text of a ``.minisig`` file."""
    lines = sig_text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    lines = [line.rstrip("\r") for line in lines]
    if len(lines) != 4:
        raise MalformedSignature(
            "A minisign signature has exactly four lines (untrusted comment, signature, "
            f"trusted comment, global signature); this one has {len(lines)}."
        )
    if not lines[0].startswith(_UNTRUSTED_PREFIX):
        raise MalformedSignature("The signature's first line is not an 'untrusted comment:'.")
    if not lines[2].startswith(_TRUSTED_PREFIX):
        raise MalformedSignature("The signature's third line is not a 'trusted comment:'.")
    blob = _b64decode(lines[1], "signature line", MalformedSignature)
    if len(blob) != 2 + _KEY_ID_LEN + 64:
        raise MalformedSignature(f"The signature line has {len(blob)} bytes instead of 74.")
    algorithm = blob[:2]
    if algorithm == _SIG_ALG_LEGACY:
        raise MalformedSignature(
            "This is a legacy (non-prehashed) minisign signature, which is not accepted; "
            "sign again with minisign 0.8 or later without the -l option."
        )
    if algorithm != _SIG_ALG_PREHASHED:
        raise MalformedSignature("The signature uses an unknown algorithm (expected 'ED').")
    global_sig = _b64decode(lines[3], "global signature line", MalformedSignature)
    if len(global_sig) != 64:
        raise MalformedSignature(
            f"The global signature line has {len(global_sig)} bytes instead of 64."
        )
    return Signature(
        algorithm=algorithm,
        key_id=blob[2:10],
        signature=blob[10:],
        trusted_comment=lines[2][len(_TRUSTED_PREFIX) :],
        global_signature=global_sig,
        untrusted_comment=lines[0][len(_UNTRUSTED_PREFIX) :],
    )


def verify_digest(public_key: PublicKey, digest: bytes, sig_text: str) -> str:
    """Verify a signature against a precomputed BLAKE2b-512 digest; return the trusted comment.

    Checks in minisign's order: key id, file signature, then the global
    signature over the trusted comment.  Each failure raises its own
    :class:`SignatureError` subclass with a message naming what failed.
    """
    sig = parse_signature(sig_text)
    if sig.key_id != public_key.key_id:
        raise WrongSigningKey(
            f"The signature was made with key {sig.key_id_hex}, not with the expected "
            f"key {public_key.key_id_hex}."
        )
    ed = public_key._ed25519()
    try:
        ed.verify(sig.signature, digest)
    except InvalidSignature:
        raise BadSignature(
            f"The signature by key {sig.key_id_hex} does not match the file: "
            "the file was altered or is not the one that was signed."
        ) from None
    try:
        ed.verify(sig.global_signature, sig.signature + sig.trusted_comment.encode("utf-8"))
    except InvalidSignature:
        raise BadGlobalSignature(
            "The file's signature is valid but the trusted comment's (global) signature is "
            "not: the trusted comment was altered."
        ) from None
    return sig.trusted_comment


def verify_file(pubkey_text: str | PublicKey, path: str | os.PathLike[str], sig_text: str) -> str:
    """Verify ``path`` against a ``.minisig`` text; return the trusted comment.

    ``pubkey_text`` is a minisign ``.pub`` file's text, its base64 line, or a
    :class:`PublicKey`.
    """
    key = pubkey_text if isinstance(pubkey_text, PublicKey) else parse_public_key(pubkey_text)
    # Check the key id before reading a possibly huge file.
    sig = parse_signature(sig_text)
    if sig.key_id != key.key_id:
        raise WrongSigningKey(
            f"The signature was made with key {sig.key_id_hex}, not with the expected "
            f"key {key.key_id_hex}."
        )
    return verify_digest(key, _hash_file(path), sig_text)


def verify_file_with_keys(
    keys: Iterable[PublicKey], path: str | os.PathLike[str], sig_text: str
) -> tuple[PublicKey, str]:
    """Verify with whichever of several keys (rotation) made the signature.

    Returns the key used and the trusted comment.
    """
    key_list = list(keys)
    sig = parse_signature(sig_text)
    key = find_public_key(key_list, sig.key_id)
    if key is None:
        known = ", ".join(k.key_id_hex for k in key_list) or "none"
        raise WrongSigningKey(
            f"The signature was made with key {sig.key_id_hex}, which is not among the "
            f"known keys ({known})."
        )
    return key, verify_file(key, path, sig_text)
