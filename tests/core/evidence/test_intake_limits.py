"""Intake on bad days: a file over the size limit is refused from its size alone (not
after copying half a gigabyte), a duplicate leaves no staged copy behind, and file names
that carry terminal controls or bidirectional overrides are printed escaped."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from workstation.workspace import Workspace


def _bytes_read() -> int:
    """Bytes this process has read through read(2) so far (Linux's /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/self/io")
def test_a_file_over_the_limit_is_refused_before_a_byte_is_copied(ws: Workspace,
                                                                   tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as fh:  # 2 GB, sparse: its size is known without reading it
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(2 << 30)
    before = _bytes_read()
    result = ws.intake.import_file(huge)
    read = _bytes_read() - before
    assert result.status == "rejected"
    assert result.error == "file is larger than the import limit of 512 MB"
    assert read < 1 << 20, f"{read} bytes read to refuse a file by its size"
    assert list(ws.store.tmp.iterdir()) == []


def test_a_duplicate_leaves_no_staged_copy(ws: Workspace,
                                           image_file: Callable[..., Path]) -> None:
    path = image_file()
    first = ws.intake.import_file(path)
    again = ws.intake.import_file(path)
    assert (first.status, again.status, again.id) == ("imported", "duplicate", first.id)
    assert list(ws.store.tmp.iterdir()) == []  # was a full copy per duplicate


def test_file_names_with_controls_are_printed_escaped(tmp_path: Path,
                                                      image_file: Callable[..., Path]) -> None:
    forged = image_file("x\nimported   #999  forged.png")
    bidi = image_file("report\u202egnp.exe")
    escape = image_file("a\x1b[2Jb.png")
    missing = tmp_path / "gone\rimported #998.png"
    ws_dir = tmp_path / "ws"
    run_cli("init", str(ws_dir), check=True)
    done = run_cli("import", str(forged), str(bidi), str(escape), str(missing),
                   workspace=ws_dir)
    lines = done.stdout.splitlines()
    assert len(lines) == 4, done.stdout
    assert not any(line.startswith("imported   #99") for line in lines)
    assert f"imported   #1  {forged.parent}/x\\x0aimported   #999  forged.png" in lines
    assert f"imported   #2  {bidi.parent}/report\\u202egnp.exe" in lines
    assert f"imported   #3  {escape.parent}/a\\x1b[2Jb.png" in lines
    assert f"rejected   {tmp_path}/gone\\x0dimported #998.png: file not found" in lines
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout

    listed = run_cli("list", workspace=ws_dir, check=True).stdout
    assert "\u202e" not in listed and "\x1b" not in listed
    assert "report\\u202egnp.exe" in listed
    shown = run_cli("show", "1", workspace=ws_dir, check=True).stdout
    assert "x\\x0aimported   #999  forged.png" in shown and "\nimported" not in shown


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_non_utf8_file_names_are_imported_and_printed(tmp_path: Path) -> None:
    from tests.imagegen import make_image

    folder = tmp_path / "in"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9.png"  # Latin-1 bytes: not UTF-8
    with open(raw, "wb") as fh:
        fh.write(make_image(seed=5))
    with open(os.fsencode(folder) + b"/notes\xff.txt", "wb") as fh:
        fh.write(b"not an image")
    ws_dir = tmp_path / "ws"
    run_cli("init", str(ws_dir), check=True)
    done = run_cli("import", str(folder), "--json", workspace=ws_dir)
    assert done.returncode == 1, done.stderr  # the text file is refused
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(Path(r["path"]).name, r["status"]) for r in results] == [
        ("caf\\xe9.png", "imported"), ("notes\\xff.txt", "rejected")]
    with Workspace.open(ws_dir, readonly=True) as ws:
        assert [c.original_filename for c in ws.captures.all()] == ["caf\\xe9.png"]
