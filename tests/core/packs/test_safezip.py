"""Streaming ZIP writing with digests, and safe extraction of hostile archives."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from workstation.errors import Cancelled, WorkstationError
from workstation.packs.format.safezip import (
    ArchiveTooLarge,
    DamagedArchive,
    EvidenceChanged,
    ExtractLimits,
    UnsafeArchive,
    ZipPackWriter,
    check_member_name,
    format_sha256sum,
    safe_extract,
)
from workstation.progress import CancelToken


@pytest.fixture
def evidence(tmp_path: Path) -> dict[str, Path]:
    src = tmp_path / "src"
    src.mkdir()
    files = {
        "captures/0001.png": os.urandom(3 * (1 << 20) + 17),
        "captures/0002.jpg": b"\xff\xd8\xff" + os.urandom(5000),
        "notes/summary.txt": "Annonce — passage Calais\n".encode() * 1000,
    }
    result = {}
    for name, data in files.items():
        path = src / name.replace("/", "_")
        path.write_bytes(data)
        result[name] = path
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# Writing


def test_write_pack_with_digests_and_extract_it(evidence: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    with ZipPackWriter(out) as zw:
        for name, path in evidence.items():
            d = zw.add_file(path, name, expected_sha256=_sha256(path).upper())
            assert d.sha256 == _sha256(path)
            assert d.md5 == hashlib.md5(path.read_bytes()).hexdigest()
            assert d.size == path.stat().st_size
        zw.add_bytes("SHA256SUMS", zw.sha256sum_manifest().encode())
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        infos = {i.filename: i for i in zf.infolist()}
        assert infos["captures/0002.jpg"].compress_type == zipfile.ZIP_STORED
        assert infos["notes/summary.txt"].compress_type == zipfile.ZIP_DEFLATED
        assert stat.S_ISREG(infos["notes/summary.txt"].external_attr >> 16)
    target = tmp_path / "extracted"
    members = safe_extract(out, target)
    assert [m.name for m in members] == [*evidence, "SHA256SUMS"]
    for name, path in evidence.items():
        assert (target / name).read_bytes() == path.read_bytes()
    # The contact's check: sha256sum -c on the manifest.
    result = subprocess.run(
        [require_tool("sha256sum"), "-c", "SHA256SUMS"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(evidence)


def test_changed_evidence_aborts_the_pack(evidence: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    first, second = list(evidence.items())[:2]
    with (
        pytest.raises(EvidenceChanged, match="has changed since it was captured") as info,
        ZipPackWriter(out) as zw,
    ):
        zw.add_file(first[1], first[0], expected_sha256=_sha256(first[1]))
        zw.add_file(second[1], second[0], expected_sha256="0" * 64)
    assert str(second[1]) in str(info.value)
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".pack")] == []


def test_writer_refuses_use_after_failure(evidence: dict[str, Path], tmp_path: Path) -> None:
    buf = io.BytesIO()
    zw = ZipPackWriter(buf)
    name, path = next(iter(evidence.items()))
    with pytest.raises(EvidenceChanged):
        zw.add_file(path, name, expected_sha256="f" * 64)
    with pytest.raises(WorkstationError):
        zw.add_bytes("x.txt", b"x")
    zw.abort()


def test_writer_refuses_bad_and_clashing_names(tmp_path: Path) -> None:
    with ZipPackWriter(tmp_path / "p.zip") as zw:
        zw.add_bytes("a/b.txt", b"1")
        for bad in ["../x", "/etc/passwd", "a\\b", "C:x", "a//b", "dir/"]:
            with pytest.raises(UnsafeArchive):
                zw.add_bytes(bad, b"")
        with pytest.raises(UnsafeArchive, match="clashes"):
            zw.add_bytes("A/B.TXT", b"2")
        with pytest.raises(UnsafeArchive, match="clashes"):
            zw.add_bytes("a", b"file where a folder is")
        with pytest.raises(UnsafeArchive, match="clashes"):
            zw.add_bytes("a/b.txt/c", b"folder where a file is")


def test_writer_to_non_seekable_stream(evidence: dict[str, Path], tmp_path: Path) -> None:
    class Pipe:
        def __init__(self) -> None:
            self.buf = bytearray()

        def write(self, b: bytes) -> int:
            self.buf += b
            return len(b)

        def flush(self) -> None:
            pass

    pipe = Pipe()
    with ZipPackWriter(pipe) as zw:
        for name, path in evidence.items():
            zw.add_file(path, name)
        zw.add_stream(io.BytesIO(b"z" * 100_000), "unknown-size.bin")
    with zipfile.ZipFile(io.BytesIO(bytes(pipe.buf))) as zf:
        assert zf.testzip() is None
        assert zf.read("unknown-size.bin") == b"z" * 100_000
    members = safe_extract(io.BytesIO(bytes(pipe.buf)), tmp_path / "x")
    assert len(members) == len(evidence) + 1


def test_cancel_while_packing(evidence: dict[str, Path], tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    out = tmp_path / "c.zip"
    with pytest.raises(Cancelled), ZipPackWriter(out, cancel=token) as zw:
        zw.add_file(next(iter(evidence.values())), "x.bin")
    assert not out.exists()


def test_reproducible_with_fixed_date(evidence: dict[str, Path], tmp_path: Path) -> None:
    blobs = []
    for i in range(2):
        out = tmp_path / f"r{i}.zip"
        with ZipPackWriter(out, date_time=(2024, 5, 1, 12, 0, 0)) as zw:
            for name, path in evidence.items():
                zw.add_file(path, name)
        blobs.append(out.read_bytes())
    assert blobs[0] == blobs[1]


def test_sha256sum_manifest_refuses_newlines() -> None:
    from workstation.packs.format.safezip import MemberDigest

    with pytest.raises(UnsafeArchive):
        format_sha256sum([MemberDigest("a\nb", 1, "0" * 64, "0" * 32)])


# ---------------------------------------------------------------------------
# Hostile archives


def _zip(tmp_path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]], **kw: Any) -> Path:
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w", **kw) as zf:
        for info, data in members:
            zf.writestr(info, data)
    return path


def _assert_rejected(
    archive: Path, tmp_path: Path, match: str, error: type[Exception] = UnsafeArchive, **kw: Any
) -> None:
    target = tmp_path / "out"
    with pytest.raises(error, match=match):
        safe_extract(archive, target, **kw)
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("hostile.zip",)]
    assert leftovers == [], leftovers
    assert not (tmp_path.parent / "evil.txt").exists()


def test_path_traversal(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("ok.txt", b"ok"), ("../evil.txt", b"pwned")])
    _assert_rejected(z, tmp_path, r"'\.\./evil\.txt'.*path traversal")


def test_traversal_in_the_middle(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("a/../../evil.txt", b"pwned")])
    _assert_rejected(z, tmp_path, "path traversal")


def test_absolute_path(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("placeholder")
    info.filename = "/tmp/evil.txt"  # zipfile strips a leading '/' in ZipInfo(); force it
    z = _zip(tmp_path, [(info, b"pwned")])
    _assert_rejected(z, tmp_path, r"'/tmp/evil\.txt'.*absolute path")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("C:/Windows/evil.txt", "drive letter"),
        ("C:evil.txt", "drive letter"),
        ("..\\evil.txt", "backslash"),
        ("a\\..\\..\\evil.txt", "backslash"),
        ("evidence/CON", "reserved device name"),
        ("evidence/nul.txt", "reserved device name"),
        ("evidence/file.txt:stream", "forbidden character ':'"),
        ("evidence/a\x01b", "control character"),
        ("evidence/trailing.", "ending with a space or a dot"),
        ("./x.txt", "path traversal"),
        ("a//b.txt", "empty path component"),
    ],
)
def test_windows_and_other_name_tricks(tmp_path: Path, name: str, why: str) -> None:
    info = zipfile.ZipInfo("placeholder")
    info.filename = name
    z = _zip(tmp_path, [(info, b"x")])
    _assert_rejected(z, tmp_path, why)


def test_nul_byte_in_name(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("placeholder")
    info.filename = "report.txt\x00.jpg"
    info.orig_filename = info.filename
    z = _zip(tmp_path, [(info, b"x")])
    _assert_rejected(z, tmp_path, "NUL character")


def test_symlink_entry(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = _zip(tmp_path, [(info, b"/etc/passwd")])
    _assert_rejected(z, tmp_path, "'link'.*symbolic link")


def test_symlink_then_write_through_it(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("docs")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = _zip(tmp_path, [(link, b".."), ("docs/evil.txt", b"pwned")])
    _assert_rejected(z, tmp_path, "symbolic link")


def test_special_file_entry(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("fifo")
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    z = _zip(tmp_path, [(info, b"")])
    _assert_rejected(z, tmp_path, "special file")


def test_windows_reparse_point(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("junction")
    info.create_system = 0
    info.external_attr = 0x400
    z = _zip(tmp_path, [(info, b"")])
    _assert_rejected(z, tmp_path, "reparse point")


def test_duplicate_names(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        z = _zip(tmp_path, [("a.txt", b"first"), ("a.txt", b"second")])
    _assert_rejected(z, tmp_path, "'a.txt'.*duplicate")


def test_duplicate_names_differing_by_case_or_normalisation(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("Report.txt", b"1"), ("report.TXT", b"2")])
    _assert_rejected(z, tmp_path, "duplicate")
    z = _zip(tmp_path, [("caf\u00e9.txt", b"1"), ("cafe\u0301.txt", b"2")])
    _assert_rejected(z, tmp_path, "duplicate")


def test_file_used_as_folder(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("a", b"file"), ("a/b.txt", b"inside a file?")])
    _assert_rejected(z, tmp_path, "uses it as a folder")


def test_too_many_members(tmp_path: Path) -> None:
    z = _zip(tmp_path, [(f"f{i}.txt", b"") for i in range(11)])
    _assert_rejected(
        z, tmp_path, "11 members", ArchiveTooLarge, limits=ExtractLimits(max_members=10)
    )


def test_big_compressible_member_above_limit(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("bomb.bin", b"\0" * (5 << 20))], compression=zipfile.ZIP_DEFLATED)
    assert z.stat().st_size < 50_000
    _assert_rejected(
        z,
        tmp_path,
        "'bomb.bin' declares",
        ArchiveTooLarge,
        limits=ExtractLimits(max_member_size=1 << 20),
    )


def test_total_size_limit(tmp_path: Path) -> None:
    z = _zip(
        tmp_path,
        [(f"p{i}.bin", b"\0" * (1 << 20)) for i in range(4)],
        compression=zipfile.ZIP_DEFLATED,
    )
    _assert_rejected(
        z, tmp_path, "more than", ArchiveTooLarge, limits=ExtractLimits(max_total_size=3 << 20)
    )


def _lying_bomb(tmp_path: Path, real_size: int, claimed: int) -> Path:
    """A deflated member whose headers claim ``claimed`` bytes but inflate to ``real_size``."""
    path = _zip(tmp_path, [("bomb.bin", b"\0" * real_size)], compression=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    real = real_size.to_bytes(4, "little")
    fake = claimed.to_bytes(4, "little")
    # Patch the uncompressed size in the local header (offset 22) and the central directory.
    assert data[22:26] == real
    data[22:26] = fake
    cd = data.rfind(b"PK\x01\x02")
    assert data[cd + 24 : cd + 28] == real
    data[cd + 24 : cd + 28] = fake
    path.write_bytes(bytes(data))
    return path


def test_bomb_with_lying_header_is_stopped_while_streaming(tmp_path: Path) -> None:
    z = _lying_bomb(tmp_path, real_size=8 << 20, claimed=1000)
    target = tmp_path / "out"
    with pytest.raises((ArchiveTooLarge, DamagedArchive), match=r"'bomb\.bin'"):
        safe_extract(z, target, limits=ExtractLimits(max_member_size=1 << 20))
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["hostile.zip"]


def test_lying_header_within_limits_is_reported_damaged(tmp_path: Path) -> None:
    z = _lying_bomb(tmp_path, real_size=300_000, claimed=1000)
    _assert_rejected(z, tmp_path, "'bomb.bin' is damaged", DamagedArchive)


def test_corrupted_member_data(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("a.txt", b"hello world" * 100)])
    data = bytearray(z.read_bytes())
    pos = data.find(b"hello world")
    data[pos] ^= 0xFF
    z.write_bytes(bytes(data))
    _assert_rejected(z, tmp_path, "'a.txt' is damaged", DamagedArchive)


def test_not_a_zip(tmp_path: Path) -> None:
    z = tmp_path / "hostile.zip"
    z.write_bytes(b"age-encryption.org/v1\n" + os.urandom(1000))
    _assert_rejected(z, tmp_path, "not a valid ZIP", DamagedArchive)


def test_encrypted_member_flag(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("secret.txt")
    z = _zip(tmp_path, [(info, b"x")])
    data = bytearray(z.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 0x01  # general purpose flag bit 0 in the central directory
    data[6] |= 0x01
    z.write_bytes(bytes(data))
    _assert_rejected(z, tmp_path, "password-encrypted")


def test_unsupported_compression(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("x.txt", b"x" * 100)], compression=zipfile.ZIP_LZMA)
    _assert_rejected(z, tmp_path, "unsupported compression")


def test_target_must_be_empty(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("a.txt", b"1")])
    target = tmp_path / "t"
    target.mkdir()
    (target / "existing").write_text("keep me")
    with pytest.raises(WorkstationError, match="not empty"):
        safe_extract(z, target)
    assert (target / "existing").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [m.name for m in safe_extract(z, empty)] == ["a.txt"]
    assert (empty / "a.txt").read_text() == "1"


def test_directories_and_nested_files(tmp_path: Path) -> None:
    z = _zip(tmp_path, [("d/", b""), ("d/e/f.txt", b"deep")])
    out = tmp_path / "o"
    members = safe_extract(z, out)
    assert [m.name for m in members] == ["d/e/f.txt"]
    assert (out / "d" / "e" / "f.txt").read_bytes() == b"deep"


def test_check_member_name_accepts_normal_names() -> None:
    for name in ["a.txt", "captures/0001.png", "dossier/Résumé été.txt", "x/"]:
        assert check_member_name(name) == name
