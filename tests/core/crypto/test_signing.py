"""minisign-format signing, checked against the real ``minisign`` CLI both ways."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import require_tool
from workstation.crypto import signing
from workstation.crypto.signing import (
    BadGlobalSignature,
    BadSignature,
    MalformedKey,
    MalformedSignature,
    PublicKey,
    SigningKey,
    WrongSigningKey,
)
from workstation.errors import WorkstationError


@pytest.fixture
def minisign() -> str:
    return require_tool("minisign")


@pytest.fixture
def key() -> SigningKey:
    return signing.generate_key()


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "pack.zip.age"
    path.write_bytes(os.urandom(3 * (1 << 20) + 12345))  # several hashing chunks
    return path


def _write_pair(tmp_path: Path, key: SigningKey, path: Path, comment: str) -> tuple[Path, Path]:
    pub = tmp_path / "agency.pub"
    pub.write_text(key.public_key_minisign())
    sig = Path(f"{path}.minisig")
    sig.write_text(signing.sign_file(key, path, comment))
    return pub, sig


def _minisign_verify(
    minisign: str, path: Path, pub: Path, sig: Path | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [minisign, "-Vm", str(path), "-p", str(pub)]
    if sig is not None:
        argv += ["-x", str(sig)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_real_minisign_verifies_our_signature(
    minisign: str, key: SigningKey, data_file: Path, tmp_path: Path
) -> None:
    comment = "NCA alert pack AP-2024-0001\tfile:pack.zip.age"
    pub, sig = _write_pair(tmp_path, key, data_file, comment)
    result = _minisign_verify(minisign, data_file, pub)  # default <file>.minisig
    assert result.returncode == 0, result.stderr
    assert "Signature and comment signature verified" in result.stdout
    assert f"Trusted comment: {comment}" in result.stdout

    other = tmp_path / "elsewhere.sig"
    shutil.copy(sig, other)
    result = _minisign_verify(minisign, data_file, pub, other)
    assert result.returncode == 0, result.stderr
    quiet = subprocess.run(
        [minisign, "-Vm", str(data_file), "-p", str(pub), "-x", str(other), "-Q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert quiet.stdout.strip() == comment
    # Our own verification agrees and returns the trusted comment.
    assert signing.verify_file(pub.read_text(), data_file, sig.read_text()) == comment


def test_real_minisign_accepts_base64_public_key(
    minisign: str, key: SigningKey, data_file: Path, tmp_path: Path
) -> None:
    _, sig = _write_pair(tmp_path, key, data_file, "x")
    b64 = key.public_key().base64()
    result = subprocess.run(
        [minisign, "-Vm", str(data_file), "-P", b64, "-x", str(sig)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_tampered_file_fails_with_minisign_and_with_us(
    minisign: str, key: SigningKey, data_file: Path, tmp_path: Path
) -> None:
    pub, sig = _write_pair(tmp_path, key, data_file, "pack")
    data = bytearray(data_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    data_file.write_bytes(bytes(data))
    result = _minisign_verify(minisign, data_file, pub, sig)
    assert result.returncode != 0
    assert "Signature verification failed" in result.stderr
    with pytest.raises(BadSignature, match="altered"):
        signing.verify_file(pub.read_text(), data_file, sig.read_text())


def test_tampered_trusted_comment_fails_with_minisign_and_with_us(
    minisign: str, key: SigningKey, data_file: Path, tmp_path: Path
) -> None:
    pub, sig = _write_pair(tmp_path, key, data_file, "recipient: platform A")
    text = sig.read_text().replace("platform A", "platform B")
    sig.write_text(text)
    result = _minisign_verify(minisign, data_file, pub, sig)
    assert result.returncode != 0
    assert "Comment signature verification failed" in result.stderr
    with pytest.raises(BadGlobalSignature, match="trusted comment was altered"):
        signing.verify_file(pub.read_text(), data_file, text)


def test_wrong_key_fails_with_minisign_and_with_us(
    minisign: str, key: SigningKey, data_file: Path, tmp_path: Path
) -> None:
    _, sig = _write_pair(tmp_path, key, data_file, "pack")
    other = signing.generate_key()
    other_pub = tmp_path / "other.pub"
    other_pub.write_text(other.public_key_minisign())
    result = _minisign_verify(minisign, data_file, other_pub, sig)
    assert result.returncode != 0
    with pytest.raises(WrongSigningKey, match=other.key_id_hex):
        signing.verify_file(other_pub.read_text(), data_file, sig.read_text())


def test_signature_made_by_real_minisign_verified_by_us(
    minisign: str, data_file: Path, tmp_path: Path
) -> None:
    pub, sec = tmp_path / "real.pub", tmp_path / "real.key"
    subprocess.run(
        [minisign, "-G", "-W", "-p", str(pub), "-s", str(sec)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [minisign, "-S", "-W", "-s", str(sec), "-m", str(data_file), "-t", "made by minisign"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    sig_text = Path(f"{data_file}.minisig").read_text()
    assert signing.verify_file(pub.read_text(), data_file, sig_text) == "made by minisign"
    parsed = signing.parse_public_key(pub.read_text())
    # The key id in minisign's own comment is the one we compute.
    assert pub.read_text().splitlines()[0].endswith(parsed.key_id_hex)
    with data_file.open("ab") as fh:
        fh.write(b"!")
    with pytest.raises(BadSignature):
        signing.verify_file(pub.read_text(), data_file, sig_text)


def test_legacy_minisign_signature_is_refused_clearly(
    minisign: str, data_file: Path, tmp_path: Path
) -> None:
    pub, sec = tmp_path / "real.pub", tmp_path / "real.key"
    subprocess.run(
        [minisign, "-G", "-W", "-p", str(pub), "-s", str(sec)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [minisign, "-S", "-l", "-W", "-s", str(sec), "-m", str(data_file)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with pytest.raises(MalformedSignature, match="legacy"):
        signing.verify_file(pub.read_text(), data_file, Path(f"{data_file}.minisig").read_text())


def test_default_trusted_comment_matches_minisign_style(key: SigningKey, data_file: Path) -> None:
    sig = signing.sign_file(key, data_file)
    comment = signing.verify_file(key.public_key(), data_file, sig)
    assert comment.startswith("timestamp:")
    assert comment.endswith(f"\tfile:{data_file.name}\thashed")


def test_key_round_trip_through_bytes(key: SigningKey, data_file: Path) -> None:
    raw = key.to_bytes()
    assert len(raw) == 40
    again = SigningKey.from_bytes(raw)
    assert again.key_id == key.key_id
    assert again.public_key_minisign() == key.public_key_minisign()
    sig = signing.sign_file(again, data_file, "c")
    assert signing.verify_file(key.public_key_minisign(), data_file, sig) == "c"
    with pytest.raises(MalformedKey):
        SigningKey.from_bytes(raw[:-1])


def test_secret_material_not_in_repr(key: SigningKey) -> None:
    seed_hex = key.to_bytes()[:32].hex()
    text = repr(key) + str(key)
    assert seed_hex not in text
    assert base64.b64encode(key.to_bytes()[:32]).decode() not in text


def test_rotation_picks_key_by_id(data_file: Path, tmp_path: Path) -> None:
    old, new = signing.generate_key(), signing.generate_key()
    ring = [PublicKey.from_dict(k.public_key().to_dict()) for k in (old, new)]
    assert [k.key_id for k in ring] == [old.key_id, new.key_id]
    assert ring[0].created == old.created
    for k in (old, new):
        sig = signing.sign_file(k, data_file, f"by {k.key_id_hex}")
        used, comment = signing.verify_file_with_keys(ring, data_file, sig)
        assert used.key_id == k.key_id
        assert comment == f"by {k.key_id_hex}"
    stranger = signing.generate_key()
    sig = signing.sign_file(stranger, data_file, "x")
    with pytest.raises(WrongSigningKey, match="not among the known keys"):
        signing.verify_file_with_keys(ring, data_file, sig)
    assert signing.parse_signature(sig).key_id == stranger.key_id


def test_prehashed_digest_api_matches_file_api(key: SigningKey, data_file: Path) -> None:
    hasher = signing.minisign_hasher()
    hasher.update(data_file.read_bytes())
    sig = signing.sign_digest(key, hasher.digest(), "streamed")
    assert signing.verify_file(key.public_key(), data_file, sig) == "streamed"


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda s: "", MalformedSignature),
        (lambda s: s.replace("untrusted comment:", "comment:", 1), MalformedSignature),
        (lambda s: s.replace("trusted comment: ", "trusted: ", 1), MalformedSignature),
        (lambda s: "\n".join(s.splitlines()[:3]), MalformedSignature),
        (lambda s: s.replace(s.splitlines()[1], s.splitlines()[1][:-8]), MalformedSignature),
        (lambda s: s.replace(s.splitlines()[3], "!!!notbase64!!!"), MalformedSignature),
    ],
)
def test_malformed_signatures_are_refused(
    key: SigningKey, data_file: Path, mutate: Callable[[str], str], error: type[Exception]
) -> None:
    sig = signing.sign_file(key, data_file, "c")
    with pytest.raises(error):
        signing.verify_file(key.public_key(), data_file, mutate(sig))


def test_crlf_signature_is_accepted(key: SigningKey, data_file: Path) -> None:
    sig = signing.sign_file(key, data_file, "c").replace("\n", "\r\n")
    assert signing.verify_file(key.public_key(), data_file, sig) == "c"


@pytest.mark.parametrize(
    "text", ["", "untrusted comment: x\n", "RWQ", "untrusted comment: x\nAAAA"]
)
def test_malformed_public_keys_are_refused(text: str) -> None:
    with pytest.raises(MalformedKey):
        signing.parse_public_key(text)


def test_trusted_comment_must_be_one_line(key: SigningKey, data_file: Path) -> None:
    with pytest.raises(WorkstationError, match="single line"):
        signing.sign_file(key, data_file, "two\nlines")
    with pytest.raises(WorkstationError, match="too long"):
        signing.sign_file(key, data_file, "x" * 5000)


def test_unicode_trusted_comment_works_with_minisign(
    minisign: str, key: SigningKey, data_file: Path, tmp_path: Path
) -> None:
    comment = "Plateforme: Société Générale — référence 42"
    pub, sig = _write_pair(tmp_path, key, data_file, comment)
    result = _minisign_verify(minisign, data_file, pub, sig)
    assert result.returncode == 0, result.stderr
    assert comment in result.stdout


def test_missing_file_is_a_clear_error(key: SigningKey, tmp_path: Path) -> None:
    with pytest.raises(WorkstationError, match="Cannot read"):
        signing.sign_file(key, tmp_path / "nope", "c")
