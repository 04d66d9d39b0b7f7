"""`pack open` is not a weapon: nothing is written before the signature, the listing and
each member's signed size are checked; nothing unsigned passes; decrypted plaintext never
outlives the process (SIGTERM, SIGKILL); every file read is bounded; bad paths are one line.

The packs here are forged by a test "agency" (its own minisign key, trusted by the
reader) so that members can be any size: what an attacker holding a genuine pack, or the
agency's key, could send.  Writes are limited with RLIMIT_FSIZE in the child: a reader
that writes what it has not verified fails there.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.core.packs.support import write_age_identity
from workstation.crypto import signing
from workstation.crypto.age import encrypt_file
from workstation.crypto.recipients import fingerprint_of
from workstation.packs.format.opening import open_pack
from workstation.packs.format.spec import compact_fingerprint, json_bytes
from workstation.packs.format.staging import STAGING_PREFIX

EVIDENCE = "evidence/001-capture-1.png"
MiB = 1 << 20

#: Member content: bytes, or a number of zero bytes (written deflated, in chunks).
Content = bytes | int


def _chunks(content: Content) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
        return
    left = content
    while left > 0:
        yield bytes(min(MiB, left))
        left -= MiB


def _digests(content: Content) -> tuple[int, str, str]:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    for chunk in _chunks(content):
        sha.update(chunk)
        md5.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest(), md5.hexdigest()


@dataclass(frozen=True)
class Forged:
    file: Path
    identity: Path
    trust: Path


def forge(tmp: Path, *, evidence: Content = b"\x89PNG" + bytes(range(256)) * 8,
          declared: int | None = None, swap: dict[str, Content] | None = None,
          extra: list[tuple[zipfile.ZipInfo | str, bytes]] | None = None,
          name: str = "pack.alertpack.age") -> Forged:
    """A signed, encrypted pack.  ``declared``: the evidence size the signed manifest
    states (default: the real one); ``swap``: members whose bytes in the ZIP differ
    from what was signed; ``extra``: unsigned members added to the ZIP."""
    identity = tmp / "contact.txt"
    recipient = write_age_identity(identity)
    fp = compact_fingerprint(fingerprint_of(recipient))
    key = signing.generate_key()
    trust = tmp / "agency.pub"
    trust.write_text(key.public_key_minisign())
    size, sha, md5 = _digests(evidence)
    manifest = {"format": "alertpack", "format_version": 1, "pack_ref": "TEST-AP-1",
                "recipient": {"keys": [{"fingerprint": fp, "role": "contact"}]},
                "items": [{"item": 1, "capture_id": 1, "files": [
                    {"path": EVIDENCE, "role": "original", "size": size if declared is None
                     else declared, "sha256": sha, "md5": md5}]}]}
    signed: dict[str, Content] = {
        "manifest.json": json_bytes(manifest), "README.txt": b"Read me.\n",
        "report.html": b"<!doctype html><p>report</p>\n", "stix.json": b"{}\n",
        "indicators.csv": b"pack_ref,item\n", EVIDENCE: evidence}
    sums = "".join(f"{_digests(c)[1]}  {n}\n" for n, c in signed.items()).encode()
    hasher = signing.minisign_hasher()
    hasher.update(sums)
    comment = (f"alertpack:TEST-AP-1\tformat:1\tplatform:tiktok\tcreated:2026-01-01T00:00:00Z"
               f"\tto:{fp}\tarchive:\tfile:SHA256SUMS")
    sig = signing.sign_digest(key, hasher.digest(), comment).encode()
    plain = tmp / f"{name}.zip"
    with zipfile.ZipFile(plain, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, content in {**signed, **(swap or {}), "SHA256SUMS": sums,
                                "SHA256SUMS.minisig": sig}.items():
            with zf.open(member, "w") as out:
                for chunk in _chunks(content):
                    out.write(chunk)
        for info, data in extra or []:
            zf.writestr(info, data)
    encrypt_file(plain, tmp / name, [recipient])
    plain.unlink()
    return Forged(tmp / name, identity, trust)


def _argv(pack: Path, forged: Forged, *more: str) -> list[str]:
    return [sys.executable, "-m", "cli", "pack", "open", str(pack), "--identity",
            str(forged.identity), "--trust", str(forged.trust), *more]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WORKSTATION_HOME", None)
    env.update(extra)
    return env


def _cli(argv: list[str], *, fsize: int | None = None, address_space: int | None = None,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI, with the file-size / memory limits a hostile pack must not reach."""

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env or _env(),
                          timeout=300, preexec_fn=limit)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)


# ------------------------------------------------------ nothing written before it is proven


def test_oversized_swapped_document_is_never_written(tmp_path: Path) -> None:
    """The genuine signed listing with report.html replaced by 64 MiB (deflated to a few
    KiB): refused by its SHA-256 without one byte of it on disk (the child may write
    at most 1 MiB per file)."""
    forged = forge(tmp_path, swap={"report.html": 64 * MiB})
    assert forged.file.stat().st_size < MiB
    out = tmp_path / "out" / "opened"
    before = _tree(tmp_path)
    result = _cli(_argv(forged.file, forged, "-o", str(out)), fsize=MiB)
    _one_line_error(result)
    assert "INVALID: checksums: changed file(s): report.html" in result.stdout
    assert _tree(tmp_path) - before <= {"out"} and not any((tmp_path / "out").iterdir())


def test_pack_from_a_public_key_holder_is_refused_before_any_member_is_read(
        tmp_path: Path) -> None:
    """Anyone with the contact's public key can encrypt a pack, but cannot sign it with
    the agency's key: the signature fails before the 64 MiB member is touched."""
    forged = forge(tmp_path, evidence=64 * MiB)
    forged.trust.write_text(signing.generate_key().public_key_minisign())  # not the signer
    out = tmp_path / "out" / "opened"
    result = _cli(_argv(forged.file, forged, "-o", str(out)), fsize=MiB)
    _one_line_error(result)
    assert "INVALID: signature: SHA256SUMS: The signature was made with key" in result.stdout
    assert list((tmp_path / "out").iterdir()) == []


def test_member_longer_than_its_signed_size_is_refused_before_reading(tmp_path: Path) -> None:
    """The signed manifest declares 1 KiB of evidence; the ZIP holds 10 MiB under that name."""
    forged = forge(tmp_path, evidence=b"E" * 1024, swap={EVIDENCE: 10 * MiB})
    out = tmp_path / "out" / "opened"
    result = _cli(_argv(forged.file, forged, "-o", str(out), "--json"), fsize=MiB)
    _one_line_error(result)
    assert (f"checksums: {EVIDENCE} is {10 * MiB} bytes in the archive but 1024 in the signed "
            "manifest.json; nothing was read") in result.stdout
    assert not out.exists() and list((tmp_path / "out").iterdir()) == []


def test_member_within_its_header_but_over_the_signed_size_stops_at_that_size(
        tmp_path: Path) -> None:
    """The manifest (signed) says 1000 bytes; the real evidence is 4 KiB: refused from the
    ZIP's own sizes, and in-process nothing is left."""
    forged = forge(tmp_path, evidence=b"A" * 4096, declared=1000)
    before = _tree(tmp_path)
    result = open_pack(forged.file, forged.identity, forged.trust, tmp_path / "o")
    assert not result.valid and result.failure is not None
    assert result.failure.startswith(f"checksums: {EVIDENCE} is 4096 bytes in the archive but "
                                     "1000 in the signed manifest.json"), result.failure
    assert _tree(tmp_path) == before


def test_disk_error_while_writing_verified_files_keeps_nothing(tmp_path: Path) -> None:
    """A write that fails half-way (here the file-size limit, like a full disk) is one line
    and removes the partial extraction."""
    forged = forge(tmp_path, evidence=8 * MiB)
    out = tmp_path / "out" / "opened"
    result = _cli(_argv(forged.file, forged, "-o", str(out)), fsize=4 * MiB)
    _one_line_error(result)
    assert "INVALID: output: cannot write the verified files: File too large" in result.stdout
    assert list((tmp_path / "out").iterdir()) == []


def test_disk_error_while_decrypting_is_named_as_such(tmp_path: Path) -> None:
    """Not "damaged or altered": the decrypted pack could not be written (here 4 MiB of
    incompressible evidence against a 1 MiB file-size limit)."""
    forged = forge(tmp_path, evidence=os.urandom(4 * MiB))
    out = tmp_path / "out" / "opened"
    result = _cli(_argv(forged.file, forged, "-o", str(out)), fsize=MiB)
    _one_line_error(result)
    assert "INVALID: decrypt: cannot write the decrypted pack: File too large" in result.stdout
    assert list((tmp_path / "out").iterdir()) == []


# ------------------------------------------------------------------ nothing unsigned passes


def test_unsigned_empty_folder_entry_is_refused(tmp_path: Path) -> None:
    forged = forge(tmp_path, extra=[(zipfile.ZipInfo("empty/"), b"")])
    out = tmp_path / "opened"
    result = open_pack(forged.file, forged.identity, forged.trust, out)
    assert not result.valid and result.failure is not None
    assert result.failure == ("checksums: not listed in SHA256SUMS (nothing unsigned is "
                              "accepted): empty/"), result.failure
    assert not out.exists()


def test_unsigned_file_is_refused_and_implied_folders_are_accepted(tmp_path: Path) -> None:
    forged = forge(tmp_path, extra=[(zipfile.ZipInfo("evidence/"), b""),
                                    ("evidence/extra.txt", b"not signed")])
    result = open_pack(forged.file, forged.identity, forged.trust, tmp_path / "o1")
    assert result.failure == ("checksums: not listed in SHA256SUMS (nothing unsigned is "
                              "accepted): evidence/extra.txt"), result.failure
    # The folder entry of a listed file is fine: the same pack without the extra file opens.
    (tmp_path / "ok").mkdir()
    ok = forge(tmp_path / "ok", extra=[(zipfile.ZipInfo("evidence/"), b"")])
    opened = open_pack(ok.file, ok.identity, ok.trust, tmp_path / "o2")
    assert opened.valid, opened.failure
    assert _tree(tmp_path / "o2") == {
        "manifest.json", "README.txt", "report.html", "stix.json", "indicators.csv",
        "evidence", EVIDENCE, "SHA256SUMS", "SHA256SUMS.minisig"}


# ------------------------------------------------------------- bounded reads, bad paths


@pytest.mark.parametrize("which", ["trust", "identity", "pack"])
def test_endless_inputs_are_refused_after_a_bounded_read(tmp_path: Path, which: str) -> None:
    """/dev/zero as the trusted key, the identity or the pack: one line, in bounded memory
    (the child may use at most 2 GiB of address space)."""
    forged = forge(tmp_path)
    paths = {"pack": forged.file, "identity": forged.identity, "trust": forged.trust}
    paths[which] = Path("/dev/zero")
    argv = _argv(paths["pack"], Forged(paths["pack"], paths["identity"], paths["trust"]))
    result = _cli(argv, address_space=2 << 30)
    _one_line_error(result)
    expected = {"trust": "INVALID: inputs: trusted key file: '/dev/zero' is larger than 65536 "
                         "bytes",
                "identity": "INVALID: inputs: '/dev/zero' is too large to be an identity file",
                "pack": "INVALID: decrypt: the encrypted file is damaged, truncated or altered "
                        "('/dev/zero' is not an age-encrypted file.)"}[which]
    assert expected in result.stdout, result.stdout


@pytest.mark.parametrize("output", ["/proc/self/x", "{tmp}/file/x", "{tmp}/file", "{tmp}/full"])
def test_bad_output_paths_are_one_line(tmp_path: Path, output: str) -> None:
    forged = forge(tmp_path)
    (tmp_path / "file").write_text("a file")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("kept")
    before = _tree(tmp_path)
    result = _cli(_argv(forged.file, forged, "-o", output.format(tmp=tmp_path)))
    _one_line_error(result)
    assert "INVALID: output: " in result.stdout and "Nothing was kept." in result.stdout
    assert _tree(tmp_path) == before


# ------------------------------------------------- plaintext never outlives the process


def _wait_for(condition: object, proc: subprocess.Popen[bytes], what: str) -> None:
    """Poll ``condition()`` until true; fail if the child exits first or after 120 s."""
    deadline = time.monotonic() + 120
    while not condition():  # type: ignore[operator]
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"pack open exited ({proc.returncode}) before {what}: {out!r} {err!r}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def _open_fifo_for_writing(fifo: Path, proc: subprocess.Popen[bytes]) -> int:
    fd: list[int] = []

    def opened() -> bool:
        try:
            fd.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # ENXIO: the reader has not opened it yet
            return False
        return True

    _wait_for(opened, proc, "it opened the pack")
    os.set_blocking(fd[0], True)
    return fd[0]


def _plaintext_fds(pid: int) -> list[int]:
    """Sizes of the files the child holds open that have no name (deleted or O_TMPFILE)."""
    sizes = []
    fd_dir = Path(f"/proc/{pid}/fd")
    for entry in fd_dir.iterdir():
        try:
            if os.readlink(entry).endswith("(deleted)"):
                sizes.append(os.stat(entry).st_size)
        except OSError:
            continue
    return sizes


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("with_output", [True, False], ids=["with-o", "without-o"])
def test_stopped_while_decrypting_leaves_no_plaintext(tmp_path: Path, sig: signal.Signals,
                                                      with_output: bool) -> None:
    """The pack comes through a FIFO and the test stops feeding it half-way: the child is
    certainly mid-decryption, with plaintext in a file that has no name."""
    pack_dir = tmp_path / "pack"
    pack_dir.mkdir()
    forged = forge(pack_dir, evidence=os.urandom(2 * MiB))
    data = forged.file.read_bytes()
    fifo = tmp_path / "pack.fifo"
    os.mkfifo(fifo)
    out_parent, tmpdir = tmp_path / "out", tmp_path / "tmpdir"
    out_parent.mkdir()
    tmpdir.mkdir()
    more = ["-o", str(out_parent / "opened")] if with_output else []
    proc = subprocess.Popen(_argv(fifo, forged, *more), cwd=ROOT, env=_env(TMPDIR=str(tmpdir)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    writer = _open_fifo_for_writing(fifo, proc)
    try:
        os.write(writer, data[: len(data) // 2])
        _wait_for(lambda: any(size > 256 << 10 for size in _plaintext_fds(proc.pid)), proc,
                  "plaintext was decrypted")
        # Plaintext exists, and nowhere under a name.
        named = [p for p in (*out_parent.rglob("*"), *tmpdir.rglob("*")) if p.is_file()]
        assert named == []
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(writer)
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, (out, err)
        assert b"pack open was stopped (signal 15); nothing unverified was kept" in err
        assert b"Traceback" not in err
        assert list(out_parent.iterdir()) == []
    else:
        assert proc.returncode == -signal.SIGKILL
        # Only an empty, unlocked staging folder is left; the next run removes it.
        left = list(out_parent.rglob("*"))
        assert all(p.is_dir() and p.name.startswith(STAGING_PREFIX) for p in left), left
        again = subprocess.run(_argv(forged.file, forged, "-o", str(out_parent / "second")),
                               cwd=ROOT, env=_env(), capture_output=True, timeout=120)
        assert again.returncode == 0, again.stdout
        assert [p.name for p in out_parent.iterdir()] == ["second"]
    assert list(tmpdir.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stopped_while_extracting_keeps_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    """Killed while the verified evidence (256 MiB) is being written into the staging
    folder: the output never appears, and the next run removes what is left."""
    pack_dir = tmp_path / "pack"
    pack_dir.mkdir()
    forged = forge(pack_dir, evidence=256 * MiB)
    out_parent = tmp_path / "out"
    out_parent.mkdir()
    proc = subprocess.Popen(_argv(forged.file, forged, "-o", str(out_parent / "opened")),
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def writing_evidence() -> bool:
        return any(out_parent.glob(f"{STAGING_PREFIX}*/pack/evidence"))

    _wait_for(writing_evidence, proc, "it was writing the evidence")
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=120)
    assert not (out_parent / "opened").exists()
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, (out, err)
        assert list(out_parent.iterdir()) == []
    else:
        assert proc.returncode == -signal.SIGKILL
        assert [p.name[: len(STAGING_PREFIX)] for p in out_parent.iterdir()] == [STAGING_PREFIX]
        small = tmp_path / "small"
        small.mkdir()
        other = forge(small)
        again = subprocess.run(_argv(other.file, other, "-o", str(out_parent / "second")),
                               cwd=ROOT, env=_env(), capture_output=True, timeout=120)
        assert again.returncode == 0, again.stdout
        assert [p.name for p in out_parent.iterdir()] == ["second"]


def test_only_staging_folders_of_ended_runs_are_removed(tmp_path: Path) -> None:
    """A folder left by a killed run of an earlier version (its pack.zip in plaintext) is
    removed by the next run beside it; one held by a live run is not."""
    from workstation.packs.format.staging import Staging

    out_parent = tmp_path / "out"
    stale = out_parent / f"{STAGING_PREFIX}old"
    stale.mkdir(parents=True)
    (stale / "pack.zip").write_bytes(b"PK plaintext")
    live = Staging(out_parent / "elsewhere")
    try:
        assert stale in live.removed_stale and not stale.exists()
        forged = forge(tmp_path)
        result = open_pack(forged.file, forged.identity, forged.trust, out_parent / "opened")
        assert result.valid, result.failure
        assert sorted(p.name for p in out_parent.iterdir()) == sorted(["opened", live.path.name])
    finally:
        live.discard()
    assert [p.name for p in out_parent.iterdir()] == ["opened"]
