"""age recipient parsing: real keys from age-keygen / ssh-keygen, and refusals."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from tests.conftest import require_tool
from workstation.crypto.recipients import (
    InvalidRecipient,
    Recipient,
    parse_recipient,
    parse_recipients,
    to_pyrage,
)
from workstation.errors import RejectedInput

FINGERPRINT = re.compile(r"^[0-9a-f]{4}( [0-9a-f]{4}){7}$")


@pytest.fixture
def age_key(tmp_path: Path) -> tuple[str, str]:
    """(recipient, secret key) from the real age-keygen."""
    key_file = tmp_path / "key.txt"
    subprocess.run([require_tool("age-keygen"), "-o", str(key_file)], check=True,
                   capture_output=True)
    text = key_file.read_text()
    public = re.search(r"# public key: (age1\S+)", text)
    secret = re.search(r"^(AGE-SECRET-KEY-1\S+)$", text, re.MULTILINE)
    assert public and secret
    return public.group(1), secret.group(1)


def ssh_public_key(comment: str = "contact@platform.example") -> str:
    """An ssh-ed25519 public key line (cryptography's OpenSSH serialisation)."""
    key = Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{line.decode()} {comment}"


def test_age_keygen_recipient(age_key: tuple[str, str]) -> None:
    public, _ = age_key
    r = parse_recipient(f"  {public}\n")
    assert r == Recipient(kind="x25519", text=public, fingerprint=r.fingerprint)
    assert FINGERPRINT.match(r.fingerprint)
    assert r.ssh_fingerprint is None
    assert str(r) == public
    assert to_pyrage(r) is not None
    # Upper case (as some people write Bech32) is accepted and canonicalised.
    assert parse_recipient(public.upper()) == r


def test_fingerprints_differ_and_are_stable(age_key: tuple[str, str]) -> None:
    public, _ = age_key
    other = ssh_public_key()
    assert parse_recipient(public).fingerprint == parse_recipient(public).fingerprint
    assert parse_recipient(public).fingerprint != parse_recipient(other).fingerprint


def test_ssh_ed25519_recipient_and_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen:
        key = tmp_path / "id"
        subprocess.run(
            [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", "bob@x", "-f", str(key)],
            check=True,
            capture_output=True,
        )
        line = (tmp_path / "id.pub").read_text().strip()
    else:
        line = ssh_public_key("bob@x")
    r = parse_recipient(line)
    assert r.kind == "ssh-ed25519"
    assert r.comment == "bob@x"
    assert r.text == " ".join(line.split()[:2])
    assert str(r) == line
    assert FINGERPRINT.match(r.fingerprint)
    # The comment does not change the fingerprint.
    assert parse_recipient(r.text).fingerprint == r.fingerprint
    if ssh_keygen:
        shown = subprocess.run(
            [ssh_keygen, "-lf", str(tmp_path / "id.pub")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert r.ssh_fingerprint is not None and r.ssh_fingerprint in shown
    assert to_pyrage(r) is not None


def test_recipients_list_format(age_key: tuple[str, str]) -> None:
    public, _ = age_key
    ssh = ssh_public_key()
    text = f"# Platform T&S team\n{public}\n\n  # backup key\n{ssh}\n{public}\n"
    rs = parse_recipients(text)
    assert [r.kind for r in rs] == ["x25519", "ssh-ed25519"]
    with pytest.raises(InvalidRecipient, match=r"^Line 3: "):
        parse_recipients(f"{public}\n# c\nage1nope\n")
    with pytest.raises(InvalidRecipient, match="no recipient"):
        parse_recipients("# only comments\n\n")


def _refused(text: str) -> str:
    with pytest.raises(InvalidRecipient) as info:
        parse_recipient(text)
    assert isinstance(info.value, RejectedInput)
    return str(info.value)


def test_typo_in_age_recipient(age_key: tuple[str, str]) -> None:
    public, _ = age_key
    i = 20
    swapped = "q" if public[i] != "q" else "p"
    message = _refused(public[:i] + swapped + public[i + 1 :])
    assert "checksum" in message
    assert "has 59 characters" in _refused(public[:-3])
    assert "cannot appear" in _refused(public[:10] + "b" + public[11:])
    assert "mixes upper and lower" in _refused(public[:10] + public[10:].upper())
    assert "spaces" in _refused(public[:30] + " " + public[30:])


def test_private_keys_are_refused_and_not_echoed(age_key: tuple[str, str], tmp_path: Path) -> None:
    _, secret = age_key
    message = _refused(secret)
    assert "PRIVATE key" in message
    assert secret not in message and secret[20:40] not in message
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        .decode()
    )
    message = _refused(pem)
    assert "PRIVATE key" in message
    assert pem.splitlines()[1] not in message


def test_unsupported_key_kinds() -> None:
    rsa = generate_private_key(public_exponent=65537, key_size=2048).public_key()
    rsa_line = rsa.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert "RSA SSH keys" in _refused(rsa_line.decode())
    assert "ECDSA" in _refused("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= x")
    plugin = "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"
    assert "plugin" in _refused(plugin)
    assert "not an age recipient" in _refused("hello world")
    assert "empty" in _refused("   ")
    assert "Unknown SSH key type" in _refused("ssh-foo AAAA")


def test_damaged_ssh_keys() -> None:
    line = ssh_public_key()
    kind, b64, _ = line.split(" ", 2)
    assert "no key data" in _refused("ssh-ed25519")
    assert "base64" in _refused(f"{kind} {b64[:-5]}")
    # An RSA blob labelled as ssh-ed25519.
    rsa = generate_private_key(public_exponent=65537, key_size=2048).public_key()
    rsa_b64 = (
        rsa.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .split()[1]
        .decode()
    )
    assert "disagree" in _refused(f"ssh-ed25519 {rsa_b64}")
    assert "several lines" in _refused(f"{line}\n{line}")


def test_all_recipients_can_encrypt(age_key: tuple[str, str]) -> None:
    import pyrage

    public, secret = age_key
    ct = pyrage.encrypt(b"hi", [to_pyrage(parse_recipient(public))])
    assert pyrage.decrypt(ct, [pyrage.x25519.Identity.from_str(secret)]) == b"hi"
