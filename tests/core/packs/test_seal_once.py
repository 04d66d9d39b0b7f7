"""Seal once: a pack is sealed into the outbox only, and ``-o FILE_OR_DIR`` gets a copy of
that file -- a reflink or hard link on the same file system (nothing written twice), else a
copy read back and checked against the recorded SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.core.packs import support as support
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    PASSPHRASE,
    Template,
    copy_ws,
    open_ws,
)
from workstation.files import export_copy
from workstation.packs.format.opening import open_pack

template = support.template  # fixture

SHM = Path("/dev/shm")


def _other_file_system(tmp_path: Path) -> Path:
    """A folder on another file system than ``tmp_path`` (the tmpfs at /dev/shm)."""
    if not SHM.is_dir() or not os.access(SHM, os.W_OK) \
            or os.stat(SHM).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system (/dev/shm) to copy to")
    import tempfile

    return Path(tempfile.mkdtemp(prefix="seal-once-", dir=SHM))


def _seal_audit(ws_dir: Path, ref: str) -> dict[str, object]:
    with open_ws(ws_dir) as ws:
        (entry,) = [e for e in ws.audit_entries()
                    if e.action == "pack.seal" and e.subject == f"pack:{ref}"]
        assert ws.verify().ok
        return dict(entry.details)


def test_export_copy_links_on_one_file_system_and_checks_a_copy(tmp_path: Path) -> None:
    src = tmp_path / "sealed.bin"
    data = os.urandom(3 << 20)
    src.write_bytes(data)
    src.chmod(0o400)
    digest = hashlib.sha256(data).hexdigest()

    same = tmp_path / "export" / "copy.bin"
    same.parent.mkdir()
    how = export_copy(src, same, digest)
    assert how in ("reflink", "hardlink") and same.read_bytes() == data
    if how == "hardlink":  # the same file: nothing was written again
        assert same.stat().st_ino == src.stat().st_ino and src.stat().st_nlink == 2
    with pytest.raises(FileExistsError):
        export_copy(src, same, digest)
    assert [p.name for p in same.parent.iterdir()] == ["copy.bin"]  # no temporary left

    other = _other_file_system(tmp_path)
    try:
        copied = other / "copy.bin"
        assert export_copy(src, copied, digest) == "copy"
        assert copied.read_bytes() == data
        assert stat.S_IMODE(copied.stat().st_mode) == 0o644
        # A source that is not what was recorded: the copy is read back, refused, removed.
        with pytest.raises(ValueError, match="reads back with SHA-256"):
            export_copy(src, other / "bad.bin", "0" * 64)
        assert sorted(p.name for p in other.iterdir()) == ["copy.bin"]
    finally:
        for p in other.iterdir():
            p.unlink()
        other.rmdir()


def test_build_to_a_folder_writes_ref_alertpack_age_sealed_once(template: Template,
                                                                 tmp_path: Path) -> None:
    """``pack build -o DIR`` (refused before: "give a file name") writes DIR/REF.alertpack.age,
    the outbox's sealed file itself (hard link) or a reflink of it."""
    ws = copy_ws(template, tmp_path / "ws")
    pub = tmp_path / "agency.pub"
    pub.write_text(run_cli("key", "export", "--minisign", workspace=ws, check=True).stdout)
    usb = tmp_path / "usb"
    usb.mkdir()
    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    str(template.captures[0]), "-o", str(usb), "--passphrase-env", PASS_ENV,
                    "--json", workspace=ws, env=CLI_ENV)
    assert built.returncode == 0, built.stderr
    pack = json.loads(built.stdout)
    ref = pack["ref"]
    out = usb / f"{ref}.alertpack.age"
    assert pack["output"] == str(out)
    assert [p.name for p in usb.iterdir()] == [out.name]
    sealed = ws / "outbox" / out.name
    assert hashlib.sha256(out.read_bytes()).hexdigest() == pack["file_sha256"]
    details = _seal_audit(ws, ref)
    assert details["copy"] == str(out) and details["copy_method"] in ("reflink", "hardlink")
    if details["copy_method"] == "hardlink":
        assert out.stat().st_ino == sealed.stat().st_ino
    assert open_pack(out, template.age_key, pub, tmp_path / "opened").valid

    # The folder again: the next reference, beside the first; text output names the file.
    again = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    str(template.captures[1]), "-o", str(usb), "--passphrase-env", PASS_ENV,
                    workspace=ws, env=CLI_ENV)
    assert again.returncode == 0, again.stderr
    assert len(list(usb.iterdir())) == 2
    second = next(p for p in usb.iterdir() if p != out)
    assert f"written to {second}" in again.stdout


def test_build_to_another_file_system_copies_and_checks(template: Template, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    other = _other_file_system(tmp_path)
    try:
        out = other / "for-tiktok.alertpack.age"
        with open_ws(ws_dir) as ws:
            pack = ws.packs.build(template.tiktok_age, [template.captures[0]], output=out)
        assert hashlib.sha256(out.read_bytes()).hexdigest() == pack.file_sha256
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        assert [p.name for p in other.iterdir()] == [out.name]
        assert _seal_audit(ws_dir, pack.ref)["copy_method"] == "copy"
    finally:
        for p in other.iterdir():
            p.unlink()
        other.rmdir()


KILL_AFTER_SEAL = textwrap.dedent("""
    import os, sys
    from workstation.storage.packs_repo import PacksRepo
    from workstation.workspace import Workspace

    update = PacksRepo.update_pack

    def die_when_recording_sealed(self, pack_id, values):
        if values.get("state") == "sealed":
            os._exit(9)  # sealed and copied, killed before the seal is recorded
        return update(self, pack_id, values)

    PacksRepo.update_pack = die_when_recording_sealed
    ws = Workspace.open(sys.argv[1])
    ws.keys.use_secrets(passphrase_env=sys.argv[2], backend="file")
    ws.packs.build(int(sys.argv[3]), [int(sys.argv[4])], output=sys.argv[5])
""")


def test_a_build_killed_before_its_seal_is_recorded_leaves_no_sealed_file(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox holds the sealed files of sealed packs only: a draft's (its build killed
    between sealing and recording) is removed by the next build, so it is never sent."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_SEAL, str(ws_dir), PASS_ENV,
         str(template.tiktok_age), str(template.captures[0]), str(tmp_path / "k.alertpack.age")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, **CLI_ENV})
    assert killed.returncode == 9, killed.stderr
    left = [p.name for p in (ws_dir / "outbox").iterdir()]
    assert len(left) == 1
    with open_ws(ws_dir) as ws:
        (draft,) = ws.packs.all()
        assert draft.state == "draft" and left == [f"{draft.ref}.alertpack.age"]
        pack = ws.packs.build(template.tiktok_age, [template.captures[0]])
        assert sorted(p.name for p in (ws_dir / "outbox").iterdir()) == [
            f"{pack.ref}.alertpack.age"]
        assert ws.verify().ok


def _written() -> int | None:
    """Bytes this process has sent to the storage layer (Linux task I/O accounting), net of
    what was deleted before being written back; ``None`` where the kernel does not count."""
    try:
        fields = dict(line.split(": ") for line in
                      Path("/proc/self/io").read_text().splitlines())
    except (OSError, ValueError):
        return None
    return int(fields["write_bytes"]) - int(fields["cancelled_write_bytes"])


def test_per_byte_sealed_the_disk_writes_it_once(template: Template, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's file and the ``-o`` export on the same disk cost one write of the
    pack, not two (the seal used to write both files in one pass)."""
    from PIL import Image

    from workstation.models import CaptureMeta

    before = _written()
    if before is None or not os.statvfs(tmp_path).f_blocks:
        pytest.skip("no per-process I/O accounting (/proc/self/io) here")
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    noise = tmp_path / "noise.png"  # about 6 MB that no compression shrinks
    Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3)).save(noise)
    with open_ws(ws_dir) as ws:
        capture = ws.intake.import_file(noise, CaptureMeta(
            source_url="https://www.tiktok.com/@boats_uk/video/7302"))
        assert capture.id is not None
        os.sync()
        start = _written()
        assert start is not None
        pack = ws.packs.build(template.tiktok_age, [capture.id],
                              output=tmp_path / "usb.alertpack.age")
        os.sync()
        end = _written()
        assert end is not None
    assert pack.file_size and pack.file_size > 5_000_000
    if end - start == 0:
        pytest.skip("this file system does not count written bytes (tmpfs)")
    assert pack.file_size <= end - start < 1.5 * pack.file_size, (end - start, pack.file_size)
