"""Streaming age encryption, checked against the real ``age`` / ``age-keygen`` CLIs."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import require_tool
from workstation.crypto import age as agecrypt
from workstation.crypto.age import (
    DecryptionFailed,
    EncryptingWriter,
    EncryptionFailed,
    HashingWriter,
    InvalidIdentity,
    WrongKey,
)
from workstation.crypto.recipients import InvalidRecipient, parse_recipient


class AgeKey:
    """A key pair made by the real age-keygen."""

    def __init__(self, directory: Path, name: str) -> None:
        self.identity_file = directory / f"{name}.txt"
        subprocess.run(
            [require_tool("age-keygen"), "-o", str(self.identity_file)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        match = re.search(r"# public key: (age1\S+)", self.identity_file.read_text())
        assert match
        self.recipient = match.group(1)


class SshKey:
    """An ssh-ed25519 key pair (ssh-keygen if installed, else cryptography)."""

    def __init__(self, directory: Path, name: str) -> None:
        self.identity_file = directory / name
        ssh_keygen = shutil.which("ssh-keygen")
        if ssh_keygen:
            subprocess.run(
                [
                    ssh_keygen,
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    name,
                    "-f",
                    str(self.identity_file),
                ],
                check=True,
                capture_output=True,
            )
            self.recipient = Path(f"{self.identity_file}.pub").read_text().strip()
        else:
            key = Ed25519PrivateKey.generate()
            self.identity_file.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.OpenSSH,
                    serialization.NoEncryption(),
                )
            )
            self.identity_file.chmod(0o600)
            self.recipient = (
                key.public_key()
                .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
                .decode()
                + f" {name}"
            )


@pytest.fixture
def age_bin() -> str:
    return require_tool("age")


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "evidence.bin"
    # Larger than one 64 KiB age chunk and not a multiple of it.
    path.write_bytes(os.urandom(5 * 65536 + 777))
    return path


def _age_decrypt(age_bin: str, src: Path, identity: Path, dst: Path) -> None:
    result = subprocess.run(
        [age_bin, "-d", "-i", str(identity), "-o", str(dst), str(src)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_real_age_decrypts_ours_x25519(age_bin: str, plain: Path, tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "contact")
    enc = tmp_path / "evidence.bin.age"
    agecrypt.encrypt_file(plain, enc, [key.recipient])
    assert enc.read_bytes().startswith(b"age-encryption.org/v1\n")
    out = tmp_path / "out.bin"
    _age_decrypt(age_bin, enc, key.identity_file, out)
    assert out.read_bytes() == plain.read_bytes()


def test_real_age_decrypts_ours_ssh_ed25519(age_bin: str, plain: Path, tmp_path: Path) -> None:
    key = SshKey(tmp_path, "contact_ssh")
    enc = tmp_path / "evidence.bin.age"
    agecrypt.encrypt_file(plain, enc, [parse_recipient(key.recipient)])
    out = tmp_path / "out.bin"
    _age_decrypt(age_bin, enc, key.identity_file, out)
    assert out.read_bytes() == plain.read_bytes()
    # And we can decrypt with the OpenSSH private key too.
    ours = tmp_path / "ours.bin"
    agecrypt.decrypt_file(enc, ours, key.identity_file)
    assert ours.read_bytes() == plain.read_bytes()


def test_armored_output_is_read_by_real_age(age_bin: str, plain: Path, tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    enc = tmp_path / "e.age"
    agecrypt.encrypt_file(plain, enc, [key.recipient], armor=True)
    assert enc.read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    out = tmp_path / "out.bin"
    _age_decrypt(age_bin, enc, key.identity_file, out)
    assert out.read_bytes() == plain.read_bytes()


def test_we_decrypt_real_age_output(age_bin: str, plain: Path, tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "analyst")
    enc = tmp_path / "from-cli.age"
    subprocess.run(
        [age_bin, "-r", key.recipient, "-o", str(enc), str(plain)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    out = tmp_path / "out.bin"
    agecrypt.decrypt_file(enc, out, key.identity_file)
    assert out.read_bytes() == plain.read_bytes()
    assert (out.stat().st_mode & 0o777) == 0o600
    # Identities may also be given as texts.
    secret_line = next(
        line for line in key.identity_file.read_text().splitlines() if line.startswith("AGE-")
    )
    out2 = tmp_path / "out2.bin"
    agecrypt.decrypt_file(enc, out2, [secret_line])
    assert out2.read_bytes() == plain.read_bytes()


def test_several_recipients_each_can_decrypt(age_bin: str, plain: Path, tmp_path: Path) -> None:
    keys: list[AgeKey | SshKey] = [
        AgeKey(tmp_path, "a"),
        AgeKey(tmp_path, "b"),
        SshKey(tmp_path, "c"),
    ]
    enc = tmp_path / "multi.age"
    agecrypt.encrypt_file(plain, enc, [k.recipient for k in keys])
    for i, key in enumerate(keys):
        out = tmp_path / f"cli{i}.bin"
        _age_decrypt(age_bin, enc, key.identity_file, out)
        assert out.read_bytes() == plain.read_bytes()
        ours = tmp_path / f"ours{i}.bin"
        agecrypt.decrypt_file(enc, ours, key.identity_file)
        assert ours.read_bytes() == plain.read_bytes()


def test_wrong_key_is_a_clear_error_and_leaves_nothing(
    age_bin: str, plain: Path, tmp_path: Path
) -> None:
    right, wrong = AgeKey(tmp_path, "right"), AgeKey(tmp_path, "wrong")
    enc = tmp_path / "e.age"
    agecrypt.encrypt_file(plain, enc, [right.recipient])
    out = tmp_path / "out" / "x.bin"
    out.parent.mkdir()
    with pytest.raises(WrongKey, match="None of the given keys"):
        agecrypt.decrypt_file(enc, out, wrong.identity_file)
    assert list(out.parent.iterdir()) == []
    # The real CLI agrees.
    result = subprocess.run(
        [age_bin, "-d", "-i", str(wrong.identity_file), str(enc)], capture_output=True, timeout=60
    )
    assert result.returncode != 0


def test_truncated_or_altered_ciphertext_leaves_no_plaintext(plain: Path, tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    enc = tmp_path / "e.age"
    agecrypt.encrypt_file(plain, enc, [key.recipient])
    data = enc.read_bytes()
    cases = {
        "truncated": data[:-100],
        "flipped": data[:-5000] + bytes([data[-5000] ^ 1]) + data[-4999:],
        "not-age": b"PK\x03\x04 this is a zip, not age" * 10,
    }
    outdir = tmp_path / "outs"
    outdir.mkdir()
    for name, bad in cases.items():
        src = tmp_path / f"{name}.age"
        src.write_bytes(bad)
        with pytest.raises(DecryptionFailed) as info:
            agecrypt.decrypt_file(src, outdir / name, key.identity_file)
        assert not isinstance(info.value, WrongKey)
    assert list(outdir.iterdir()) == []


def test_identity_errors_do_not_leak_secrets(tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    secret_line = next(
        line for line in key.identity_file.read_text().splitlines() if line.startswith("AGE-")
    )
    damaged = secret_line[:-4] + ("QQQQ" if not secret_line.endswith("QQQQ") else "PPPP")
    bad_file = tmp_path / "bad.txt"
    bad_file.write_text(f"# comment\n{damaged}\n")
    with pytest.raises(InvalidIdentity, match="Line 2") as info:
        agecrypt.load_identities(bad_file)
    assert damaged not in str(info.value) and damaged[16:40] not in str(info.value)
    with pytest.raises(InvalidIdentity, match="not an age identity"):
        agecrypt.load_identities([f"{key.recipient}"])
    with pytest.raises(InvalidIdentity, match="Cannot read"):
        agecrypt.load_identities(tmp_path / "missing.txt")
    with pytest.raises(InvalidIdentity, match="No identity"):
        agecrypt.load_identities([])


def test_passphrase_protected_ssh_key_is_explained(tmp_path: Path) -> None:
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        pytest.skip("ssh-keygen is not installed (needed to make an encrypted OpenSSH key)")
    path = tmp_path / "id_enc"
    subprocess.run(
        [ssh_keygen, "-q", "-t", "ed25519", "-N", "hunter2", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(InvalidIdentity, match="protected by a passphrase"):
        agecrypt.load_identities(path)


def test_bad_recipient_refused_before_writing(plain: Path, tmp_path: Path) -> None:
    out = tmp_path / "never.age"
    with pytest.raises(InvalidRecipient):
        agecrypt.encrypt_file(plain, out, ["age1nope"])
    with pytest.raises(InvalidRecipient, match="At least one"):
        agecrypt.encrypt_file(plain, out, [])
    assert not out.exists()


def test_encrypting_writer_zip_to_age_read_by_cli(age_bin: str, tmp_path: Path) -> None:
    """A ZIP written straight into the encrypting writer (no plaintext on disk)."""
    key = AgeKey(tmp_path, "k")
    out = tmp_path / "pack.zip.age"
    sha = hashlib.sha256()
    members = {f"evidence/{i}.bin": os.urandom(100_000 + i) for i in range(5)}
    with (
        open(out, "wb") as raw,
        EncryptingWriter(HashingWriter(raw, sha), [key.recipient]) as w,
        zipfile.ZipFile(w, "w") as zf,
    ):
        for name, data in members.items():
            zf.writestr(name, data)
    assert sha.hexdigest() == hashlib.sha256(out.read_bytes()).hexdigest()
    decrypted = tmp_path / "pack.zip"
    _age_decrypt(age_bin, out, key.identity_file, decrypted)
    with zipfile.ZipFile(decrypted) as zf:
        assert zf.testzip() is None
        assert {n: zf.read(n) for n in zf.namelist()} == members


def test_encrypting_writer_to_path_is_atomic(tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    out = tmp_path / "pack.age"
    with pytest.raises(RuntimeError, match="boom"), EncryptingWriter(out, [key.recipient]) as w:
        w.write(b"x" * 200_000)
        raise RuntimeError("boom")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack")] == []
    with EncryptingWriter(out, [key.recipient]) as w:
        w.write(b"hello " * 50_000)
    back = tmp_path / "back"
    agecrypt.decrypt_file(out, back, key.identity_file)
    assert back.read_bytes() == b"hello " * 50_000


class _FullDisk(io.RawIOBase):
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.limit -= len(b)
        if self.limit < 0:
            raise OSError(28, "No space left on device")
        return len(b)


def test_encrypting_writer_reports_output_failure(tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    w = EncryptingWriter(_FullDisk(300_000), [key.recipient])
    with pytest.raises(EncryptionFailed, match="No space left"):
        for _ in range(100):
            w.write(b"y" * 65536)
        w.close()
    w.abort()


def test_stream_api_round_trip(tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    src = io.BytesIO(os.urandom(300_000))
    enc = io.BytesIO()
    agecrypt.encrypt_stream(src, enc, [key.recipient])
    out = io.BytesIO()
    agecrypt.decrypt_stream(io.BytesIO(enc.getvalue()), out, key.identity_file)
    assert out.getvalue() == src.getvalue()


def test_alert_pack_pipeline_opened_with_the_standard_clis(age_bin: str, tmp_path: Path) -> None:
    """zip -> age -> sha256 + minisign in one pass; the contact checks it with the real CLIs."""
    from workstation.crypto import signing
    from workstation.packs.format.safezip import ZipPackWriter, safe_extract

    minisign, sha256sum = require_tool("minisign"), require_tool("sha256sum")
    contact = AgeKey(tmp_path, "contact")
    evidence = tmp_path / "capture.png"
    evidence.write_bytes(os.urandom(2_000_000))
    pack = tmp_path / "pack.zip.age"
    sha_out, blake_out = hashlib.sha256(), signing.minisign_hasher()
    with (
        open(pack, "wb") as raw,
        EncryptingWriter(HashingWriter(raw, sha_out, blake_out), [contact.recipient]) as enc,
        ZipPackWriter(enc) as zw,
    ):
        zw.add_file(
            evidence,
            "evidence/capture.png",
            expected_sha256=hashlib.sha256(evidence.read_bytes()).hexdigest(),
        )
        zw.add_bytes("SHA256SUMS", zw.sha256sum_manifest().encode())
    key = signing.generate_key()
    (tmp_path / "agency.pub").write_text(key.public_key_minisign())
    Path(f"{pack}.minisig").write_text(signing.sign_digest(key, blake_out.digest(), "AP-1"))
    (tmp_path / "pack.zip.age.sha256").write_text(f"{sha_out.hexdigest()}  pack.zip.age\n")

    def run(*argv: str) -> str:
        result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert "Trusted comment: AP-1" in run(minisign, "-Vm", "pack.zip.age", "-p", "agency.pub")
    run(sha256sum, "-c", "pack.zip.age.sha256")
    run(age_bin, "-d", "-i", str(contact.identity_file), "-o", "pack.zip", "pack.zip.age")
    safe_extract(tmp_path / "pack.zip", tmp_path / "opened")
    result = subprocess.run(
        [sha256sum, "-c", "SHA256SUMS"],
        cwd=tmp_path / "opened",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "evidence/capture.png: OK" in result.stdout


def test_changed_evidence_in_pipeline_leaves_no_pack(tmp_path: Path) -> None:
    from workstation.packs.format.safezip import EvidenceChanged, ZipPackWriter

    contact = AgeKey(tmp_path, "contact")
    evidence = tmp_path / "capture.png"
    evidence.write_bytes(os.urandom(500_000))
    pack = tmp_path / "out" / "pack.zip.age"
    pack.parent.mkdir()
    with (
        pytest.raises(EvidenceChanged),
        EncryptingWriter(pack, [contact.recipient]) as enc,
        ZipPackWriter(enc) as zw,
    ):
        zw.add_file(evidence, "capture.png", expected_sha256="ab" * 32)
    assert list(pack.parent.iterdir()) == []
