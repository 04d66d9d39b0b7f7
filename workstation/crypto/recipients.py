"""Parsing and validation of age recipients (the public keys packs are encrypted to).

Two kinds are accepted, as the standard ``age`` CLI understands them:

* ``age1…`` — a native X25519 age recipient (from ``age-keygen``);
* ``ssh-ed25519 AAAA… [comment]`` — an OpenSSH Ed25519 public key.

Anything else (RSA or ECDSA SSH keys, age plugin recipients, private keys
pasted by mistake, typos) is refused with a message saying what is wrong.
Private keys are recognised and never echoed back in an error message.

Each :class:`Recipient` carries a *fingerprint* — the first 128 bits of the
SHA-256 of its canonical key text (``age1…`` or ``ssh-ed25519 <base64>``,
without the comment), written as eight groups of four hex digits — so an
analyst and a platform contact can compare keys over the phone.  SSH keys also
expose :attr:`Recipient.ssh_fingerprint`, the ``SHA256:…`` form printed by
``ssh-keygen -l``.

SSH key data is parsed and checked by ``cryptography``
(:func:`~cryptography.hazmat.primitives.serialization.load_ssh_public_key`); the
canonical text is its OpenSSH serialisation of the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pyrage
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from workstation.errors import RejectedInput

__all__ = [
    "InvalidRecipient",
    "Recipient",
    "RecipientKind",
    "fingerprint_of",
    "parse_recipient",
    "parse_recipients",
    "recipients_to_pyrage",
    "to_pyrage",
]

RecipientKind = Literal["x25519", "ssh-ed25519"]

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_AGE_RECIPIENT_LEN = 62  # "age1" + 52 data characters + 6 checksum characters
_SSH_ED25519 = "ssh-ed25519"
#: How the key data of an ssh-ed25519 key starts: the length of the type name, the name.
_ED25519_BLOB_PREFIX = len(_SSH_ED25519).to_bytes(4, "big") + _SSH_ED25519.encode()
_OTHER_SSH_TYPES = {
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "sk-ssh-ed25519@openssh.com": "security-key (FIDO) Ed25519",
    "sk-ecdsa-sha2-nistp256@openssh.com": "security-key (FIDO) ECDSA",
}


class InvalidRecipient(RejectedInput):
    """A recipient (public key) text is malformed or of an unsupported kind."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """A validated age recipient.

    ``text`` is the canonical key text (``age1…`` in lower case, or
    ``ssh-ed25519 <base64>``); ``comment`` is the SSH key's comment, if any.
    """

    kind: RecipientKind
    text: str
    fingerprint: str
    comment: str = ""

    def __str__(self) -> str:
        return f"{self.text} {self.comment}" if self.comment else self.text

    @property
    def ssh_fingerprint(self) -> str | None:
        """``SHA256:<base64>`` as ``ssh-keygen -l`` shows it (SSH keys only)."""
        if self.kind != "ssh-ed25519":
            return None
        digest = base64.b64encode(hashlib.sha256(self.key_data).digest())
        return f"SHA256:{digest.decode('ascii').rstrip('=')}"

    @property
    def key_data(self) -> bytes:
        """The public key's bytes: an X25519 key's 32 (the bech32 data of ``age1…``), or
        an SSH key's wire blob (``string "ssh-ed25519", string key``)."""
        if self.kind != "x25519":
            return base64.b64decode(self.text.split()[1])
        acc = bits = 0
        out = bytearray()
        for ch in self.text[len("age1"):-6]:  # the checksum's 6 characters left off
            acc = (acc << 5) | _BECH32_CHARSET.index(ch)
            bits += 5
            if bits >= 8:
                bits -= 8
                out.append((acc >> bits) & 0xFF)
        return bytes(out)

    def to_pyrage(self) -> Any:
        """The pyrage recipient object for encryption."""
        return to_pyrage(self)


def fingerprint_of(canonical_text: str) -> str:
    """Eight groups of four hex digits from SHA-256 of the canonical key text."""
    digest = hashlib.sha256(canonical_text.encode("ascii")).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _refuse_private(text: str) -> None:
    upper = text.upper()
    if upper.startswith("AGE-SECRET-KEY-") or "PRIVATE KEY" in upper[:80]:
        raise InvalidRecipient(
            "This is a PRIVATE key, not a recipient. Never send or paste a private key; "
            "ask the contact for their public key (age1… or ssh-ed25519 …)."
        )
    if upper.startswith("AGE-PLUGIN-"):
        raise InvalidRecipient(
            "This is an age plugin identity (a private key), not a recipient; "
            "ask the contact for their public key."
        )


def _parse_age(text: str) -> Recipient:
    if text != text.lower() and text != text.upper():
        raise InvalidRecipient(
            f"The age recipient {_shown(text)} mixes upper and lower case letters; "
            "it was probably retyped by hand. Copy it again from the original."
        )
    low = text.lower()
    sep = low.rfind("1")
    hrp = low[:sep]
    if hrp.startswith("age1") and hrp != "age":
        plugin = hrp[4:] or "?"
        raise InvalidRecipient(
            f"{_shown(text)} is an age plugin recipient ({plugin}), which is not supported; "
            "ask for a plain age1… key from age-keygen or an ssh-ed25519 key."
        )
    if hrp != "age":
        raise InvalidRecipient(f"{_shown(text)} does not start with 'age1'.")
    bad = sorted({c for c in low[sep + 1 :] if c not in _BECH32_CHARSET})
    if bad:
        raise InvalidRecipient(
            f"The age recipient {_shown(text)} contains characters that cannot appear in an "
            f"age key ({', '.join(repr(c) for c in bad)}); check for typos "
            "(age keys never contain 'b', 'i', 'o' or '1' after the 'age1' prefix)."
        )
    if len(low) != _AGE_RECIPIENT_LEN:
        raise InvalidRecipient(
            f"The age recipient {_shown(text)} has {len(low)} characters; an age1… key has "
            f"{_AGE_RECIPIENT_LEN}. Part of it is missing or extra."
        )
    try:
        pyrage.x25519.Recipient.from_str(low)
    except pyrage.RecipientError as exc:
        raise InvalidRecipient(
            f"The age recipient {_shown(text)} is not valid ({exc}); its checksum does not "
            "match, so at least one character is wrong. Copy it again from the original."
        ) from None
    return Recipient(kind="x25519", text=low, fingerprint=fingerprint_of(low))


def _parse_ssh(text: str) -> Recipient:
    parts = text.split(None, 2)
    key_type = parts[0]
    if key_type in _OTHER_SSH_TYPES:
        raise InvalidRecipient(
            f"{_OTHER_SSH_TYPES[key_type]} SSH keys ({key_type}) are not accepted; "
            "ask for an ssh-ed25519 key or an age1… key."
        )
    if key_type != _SSH_ED25519:
        raise InvalidRecipient(f"Unknown SSH key type {_shown(key_type)}; expected 'ssh-ed25519'.")
    if len(parts) < 2:
        raise InvalidRecipient(
            "The ssh-ed25519 key has no key data after 'ssh-ed25519'; copy the whole line "
            "from the .pub file."
        )
    b64 = parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    try:
        key = serialization.load_ssh_public_key(f"{key_type} {b64}".encode())
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidRecipient(_why_damaged(b64)) from None
    if not isinstance(key, Ed25519PublicKey):  # the label said ssh-ed25519: never, but be sure
        raise InvalidRecipient(_DISAGREE)
    canonical = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode("ascii")
    try:
        pyrage.ssh.Recipient.from_str(canonical)
    except pyrage.RecipientError as exc:
        raise InvalidRecipient(f"The ssh-ed25519 key is not valid ({exc}).") from None
    if any(ord(c) < 32 for c in comment):
        raise InvalidRecipient("The SSH key's comment contains control characters.")
    return Recipient(
        kind="ssh-ed25519", text=canonical, fingerprint=fingerprint_of(canonical), comment=comment
    )


_DISAGREE = ("The key data does not belong to an ssh-ed25519 key (the line's label and the "
             "key inside it disagree).")


def _why_damaged(b64: str) -> str:
    """What is wrong with key data that ``cryptography`` refused, in one sentence."""
    try:
        blob = binascii.a2b_base64(b64.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return ("The ssh-ed25519 key data is not valid base64: it is damaged or cut short. "
                "Copy the whole line from the .pub file.")
    if not blob.startswith(_ED25519_BLOB_PREFIX):
        return _DISAGREE
    return "The ssh-ed25519 key data has the wrong length or is truncated; it is damaged."


def parse_recipient(text: str) -> Recipient:
    """Validate one recipient text and return it in canonical form.

    Raises :class:`InvalidRecipient` with an explanation when it is refused.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidRecipient("The recipient is empty; paste an age1… or ssh-ed25519 key.")
    _refuse_private(stripped)
    if "\n" in stripped or "\r" in stripped:
        raise InvalidRecipient(
            "The recipient spans several lines; give one key per line "
            "(use a recipients list for several keys)."
        )
    if stripped.lower().startswith("age1") or stripped.lower().startswith("age"):
        if " " in stripped or "\t" in stripped:
            raise InvalidRecipient(
                f"The age recipient {_shown(stripped)} contains spaces; an age1… key is a "
                "single word."
            )
        return _parse_age(stripped)
    if stripped.startswith(("ssh-", "ecdsa-", "sk-")):
        return _parse_ssh(stripped)
    raise InvalidRecipient(
        f"{_shown(stripped)} is not an age recipient: expected an 'age1…' key "
        "(from age-keygen) or an 'ssh-ed25519 AAAA…' public key."
    )


def parse_recipients(text: str) -> list[Recipient]:
    """Parse a recipients list in age's ``-R`` file format.

    One recipient per line; blank lines and lines starting with ``#`` are
    ignored; duplicates are dropped.  Errors name the line number.
    """
    result: list[Recipient] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            recipient = parse_recipient(line)
        except InvalidRecipient as exc:
            raise InvalidRecipient(f"Line {number}: {exc}") from None
        if recipient.text not in seen:
            seen.add(recipient.text)
            result.append(recipient)
    if not result:
        raise InvalidRecipient("The recipients list contains no recipient.")
    return result


def to_pyrage(recipient: Recipient | str) -> Any:
    """A pyrage recipient object from a :class:`Recipient` or a recipient text."""
    r = recipient if isinstance(recipient, Recipient) else parse_recipient(recipient)
    if r.kind == "x25519":
        return pyrage.x25519.Recipient.from_str(r.text)
    return pyrage.ssh.Recipient.from_str(r.text)


def recipients_to_pyrage(recipients: Iterable[Recipient | str]) -> list[Any]:
    """pyrage recipient objects for several recipients; at least one is required."""
    result = [to_pyrage(r) for r in recipients]
    if not result:
        raise InvalidRecipient("At least one recipient is needed to encrypt.")
    return result
