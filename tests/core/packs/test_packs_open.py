"""`pack open`: a recipient's verification — wrong identity, changed bytes at every layer,
re-encryption for someone else, and hostile ZIPs, each a clear failure leaving nothing."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.core.packs import support as support
from tests.core.packs.support import (
    Sealed,
    write_age_identity,
)
from workstation.crypto.age import decrypt_file, encrypt_file
from workstation.packs.format.opening import open_pack
from workstation.packs.format.safezip import ExtractLimits

sealed = support.sealed  # fixture
template = support.template  # fixture


def _plain(sealed: Sealed, tmp_path: Path) -> bytes:
    out = tmp_path / "plain.zip"
    decrypt_file(sealed.file, out, sealed.template.age_key)
    data = out.read_bytes()
    out.unlink()
    return data


def _reseal(data: bytes, recipient: str, path: Path) -> Path:
    """Encrypt a (tampered) ZIP to a recipient, as an attacker holding it could."""
    plain = path.with_suffix(".zip")
    plain.write_bytes(data)
    encrypt_file(plain, path, [recipient])
    plain.unlink()
    return path


def _snapshot(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _check_fails(sealed: Sealed, pack: Path, tmp_path: Path, check: str, pattern: str,
                 identity: Path | None = None) -> None:
    target = tmp_path / "out"
    before = _snapshot(tmp_path)
    result = open_pack(pack, identity or sealed.template.age_key, sealed.agency_pub, target)
    assert not result.valid
    assert result.failure is not None and result.failure.startswith(f"{check}:"), result.failure
    assert pattern in result.failure, result.failure
    assert not target.exists()
    assert _snapshot(tmp_path) == before  # nothing written anywhere


def test_cli_open_valid_pack(sealed: Sealed, tmp_path: Path) -> None:
    out = tmp_path / "opened"
    result = run_cli("pack", "open", str(sealed.file), "--identity", str(sealed.template.age_key),
                     "--trust", str(sealed.agency_pub), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["valid"] and verdict["ref"] == sealed.ref and verdict["items"] == 2
    assert [c["name"] for c in verdict["checks"]] == [
        "inputs", "decrypt", "extract", "contents", "signature", "checksums", "recipient",
        "manifest"]
    assert (out / "manifest.json").is_file() and (out / "evidence").is_dir()
    # Without --json: one line per check and a verdict; without -o nothing is kept.
    human = run_cli("pack", "open", str(sealed.file), "--identity", str(sealed.template.age_key),
                    "--trust", str(sealed.agency_pub))
    assert human.returncode == 0 and "VALID" in human.stdout


def test_cli_wrong_identity(sealed: Sealed, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.txt"
    write_age_identity(stranger)
    out = tmp_path / "out"
    result = run_cli("pack", "open", str(sealed.file), "--identity", str(stranger), "--trust",
                     str(sealed.agency_pub), "-o", str(out))
    assert result.returncode == 1
    assert "INVALID: decrypt: wrong identity" in result.stdout
    assert not out.exists() and "Traceback" not in result.stderr


def test_flipped_byte_in_ciphertext(sealed: Sealed, tmp_path: Path) -> None:
    data = bytearray(sealed.file.read_bytes())
    data[len(data) // 2] ^= 0x40
    pack = tmp_path / "flipped.age"
    pack.write_bytes(bytes(data))
    _check_fails(sealed, pack, tmp_path, "decrypt", "damaged, truncated or altered")


def test_truncated_ciphertext(sealed: Sealed, tmp_path: Path) -> None:
    pack = tmp_path / "short.age"
    pack.write_bytes(sealed.file.read_bytes()[:-100])
    _check_fails(sealed, pack, tmp_path, "decrypt", "damaged")


def test_flipped_byte_in_the_zip(sealed: Sealed, tmp_path: Path) -> None:
    data = bytearray(_plain(sealed, tmp_path))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("evidence/001-capture-1.png")
    data[info.header_offset + 30 + len(info.filename) + 100] ^= 0x01  # inside the stored data
    pack = _reseal(bytes(data), sealed.template.age_recipient, tmp_path / "zipflip.age")
    # Read (never written) after the signature: a damaged member fails the checksums.
    _check_fails(sealed, pack, tmp_path, "checksums", "evidence/001-capture-1.png")


def _rezip(data: bytes, change: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, change.get(info.filename, src.read(info)))
    return out.getvalue()


def test_flipped_byte_in_a_file_after_decryption(sealed: Sealed, tmp_path: Path) -> None:
    data = _plain(sealed, tmp_path)
    evidence = bytearray(zipfile.ZipFile(io.BytesIO(data)).read("evidence/002-capture-2.jpg"))
    evidence[500] ^= 0x01
    pack = _reseal(_rezip(data, {"evidence/002-capture-2.jpg": bytes(evidence)}),
                   sealed.template.age_recipient, tmp_path / "fileflip.age")
    _check_fails(sealed, pack, tmp_path, "checksums", "changed file(s): evidence/002-capture-2.jpg")


def test_rewritten_checksums_break_the_signature(sealed: Sealed, tmp_path: Path) -> None:
    data = _plain(sealed, tmp_path)
    zf = zipfile.ZipFile(io.BytesIO(data))
    manifest = zf.read("manifest.json").replace(b'"urgent"', b'"normal"')
    import hashlib

    sums = zf.read("SHA256SUMS").decode().splitlines()
    sums = [f"{hashlib.sha256(manifest).hexdigest()}  manifest.json"
            if line.endswith("  manifest.json") else line for line in sums]
    pack = _reseal(_rezip(data, {"manifest.json": manifest,
                                 "SHA256SUMS": ("\n".join(sums) + "\n").encode()}),
                   sealed.template.age_recipient, tmp_path / "resigned.age")
    _check_fails(sealed, pack, tmp_path, "signature", "does not match the file")


def test_reencrypted_for_someone_else_is_refused(sealed: Sealed, tmp_path: Path) -> None:
    """The contact decrypts and re-encrypts the genuine pack for a third party."""
    mallory = tmp_path / "mallory.txt"
    recipient = write_age_identity(mallory)
    pack = _reseal(_plain(sealed, tmp_path), recipient, tmp_path / "forwarded.age")
    _check_fails(sealed, pack, tmp_path, "recipient", "not addressed to your key",
                 identity=mallory)


def test_wrong_trusted_key(sealed: Sealed, tmp_path: Path) -> None:
    from workstation.crypto import signing

    other = tmp_path / "other.pub"
    other.write_text(signing.generate_key().public_key_minisign())
    result = open_pack(sealed.file, sealed.template.age_key, other, tmp_path / "out")
    assert not result.valid and result.failure is not None
    assert result.failure.startswith("signature:") and "not among the known keys" in \
        result.failure
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- hostile ZIPs


def _hostile(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", b"{}")
        for info, data in members:
            zf.writestr(info, data)
    return out.getvalue()


def _symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(("members", "expected"), [
    ([("../escaped.txt", b"pwned")], "path traversal"),
    ([("evidence/../../escaped.txt", b"pwned")], "path traversal"),
    ([("/tmp/escaped-absolute.txt", b"pwned")], "absolute path"),
    ([(_symlink("evidence/link", "/etc/passwd"), b"/etc/passwd")], "symbolic link"),
    ([("C:/escaped.txt", b"pwned")], "drive letter"),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink", "drive"])
def test_hostile_zip_is_refused(sealed: Sealed, tmp_path: Path,
                                members: list[tuple[zipfile.ZipInfo | str, bytes]],
                                expected: str) -> None:
    pack = _reseal(_hostile(members), sealed.template.age_recipient, tmp_path / "evil.age")
    _check_fails(sealed, pack, tmp_path, "extract", expected)
    assert not Path("/tmp/escaped-absolute.txt").exists()
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_zip_bomb_is_stopped(sealed: Sealed, tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", b"{}")
        with zf.open("evidence/bomb.png", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(64):
                member.write(zeros)
    assert len(out.getvalue()) < 200_000
    pack = _reseal(out.getvalue(), sealed.template.age_recipient, tmp_path / "bomb.age")
    target = tmp_path / "out"
    result = open_pack(pack, sealed.template.age_key, sealed.agency_pub, target,
                       limits=ExtractLimits(max_member_size=8 << 20, max_total_size=16 << 20))
    assert not result.valid and result.failure is not None
    assert result.failure.startswith("extract:") and "bomb.png" in result.failure
    assert not target.exists()
    assert sorted(os.listdir(tmp_path)) == ["bomb.age"]


def test_cli_refuses_traversal_and_keeps_nothing(sealed: Sealed, tmp_path: Path) -> None:
    pack = _reseal(_hostile([("../../escaped.txt", b"pwned")]), sealed.template.age_recipient,
                   tmp_path / "evil.age")
    out = tmp_path / "deep" / "out"
    result = run_cli("pack", "open", str(pack), "--identity", str(sealed.template.age_key),
                     "--trust", str(sealed.agency_pub), "-o", str(out), "--json")
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["valid"] is False and "path traversal" in verdict["failure"]
    assert not out.exists() and not (tmp_path / "escaped.txt").exists()
    assert list((tmp_path / "deep").iterdir()) == []
