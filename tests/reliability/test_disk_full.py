"""A full disk, for real: a small tmpfs filled to the byte.  Whatever runs out of space —
the copy of a file being imported, the database commit, a setting, a sealed pack — the
answer is one line saying the disk is full, and nothing is left half-written: no staged
copy, no evidence file without its capture, no temporary file beside an output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.core.packs.support import (  # noqa: F401 - session fixtures used by name
    CLI_ENV,
    PASS_ENV,
    Template,
    copy_ws,
    template,
)
from tests.imagegen import make_image
from tests.reliability.smallfs import fill, small_fs  # noqa: F401 - fixture used by name
from workstation.errors import DiskFull
from workstation.models import ImportResult
from workstation.workspace import Workspace


def _evidence_files(ws_dir: Path) -> list[str]:
    return sorted(p.name for p in (ws_dir / "evidence").rglob("*")
                  if p.is_file() and p.parent.name != "tmp")


def _leftovers(ws_dir: Path) -> list[str]:
    return sorted(p.name for p in (ws_dir / "evidence" / "tmp").iterdir())


def test_disk_full_while_copying_stops_the_import_with_one_clear_line(
        small_fs: Path, tmp_path: Path) -> None:  # noqa: F811
    ws_dir = small_fs / "ws"
    run_cli("init", str(ws_dir), check=True)
    small = tmp_path / "small.png"
    small.write_bytes(make_image(seed=1))
    big = tmp_path / "big.png"  # never probed: the copy runs out of space first
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3 << 20))
    later = tmp_path / "later.png"
    later.write_bytes(make_image(seed=2))
    filler = fill(small_fs, leave=512 << 10)  # room for the small one, not the big one

    done = run_cli("import", str(small), str(big), str(later), workspace=ws_dir)

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "workstation: error: disk full: 1 imported, 2 not; nothing half-written" \
        in done.stderr
    assert "cannot read file" not in done.stdout + done.stderr  # not the cause
    assert f"imported   #1  {small}" in done.stdout
    assert str(later) not in done.stdout  # the import stopped at the full disk
    assert _leftovers(ws_dir) == []
    assert len(_evidence_files(ws_dir)) == 1

    filler.unlink()
    verified = run_cli("verify", workspace=ws_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "not referenced" not in verified.stdout


def test_disk_full_at_the_database_commit_leaves_no_orphan(small_fs: Path,  # noqa: F811
                                                           tmp_path: Path) -> None:
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    first.write_bytes(make_image(seed=3))
    second.write_bytes(make_image(seed=4))
    ws_dir = small_fs / "ws"
    with Workspace.open(ws_dir) as ws:
        assert ws.intake.import_file(first).status == "imported"
        # exactly the room to copy the second file in, none for the database's growth
        filler = fill(small_fs, leave=second.stat().st_size)
        with pytest.raises(DiskFull, match=r"^disk full: nothing half-written"):
            ws.intake.import_file(second)
        assert len(ws.captures.all()) == 1
        assert _leftovers(ws_dir) == []
        assert len(_evidence_files(ws_dir)) == 1  # the second file's was removed

        filler.unlink()  # the same open workspace carries on: no transaction left open
        again = ws.intake.import_file(second)
        assert again.status == "imported" and again.id == 2
        report = ws.verify()
        assert report.ok and report.unreferenced_files == 0, report.summary()


def test_a_full_disk_in_a_folder_import_reports_the_counts(small_fs: Path,  # noqa: F811
                                                           tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.png").write_bytes(make_image(seed=10 + n))
    ws_dir = small_fs / "ws"
    with Workspace.open(ws_dir) as ws:
        filler = fill(small_fs, leave=0)
        results: list[ImportResult] = []
        with pytest.raises(DiskFull) as caught:
            results.extend(ws.intake.import_paths([folder]))
        assert results == []
        assert str(caught.value).startswith("disk full: 0 imported, 3 not; nothing half-written")
        assert _leftovers(ws_dir) == [] and _evidence_files(ws_dir) == []
        filler.unlink()


def test_disk_full_when_changing_a_setting_is_one_line_and_changes_nothing(
        small_fs: Path) -> None:  # noqa: F811
    ws_dir = small_fs / "ws"
    run_cli("init", str(ws_dir), check=True)
    run_cli("config", "analyst", "Before", workspace=ws_dir, check=True)
    with Workspace.open(ws_dir, readonly=True) as reader:  # keeps the WAL: the next write grows it
        fill(small_fs, leave=0)
        done = run_cli("config", "analyst", "After", workspace=ws_dir)
        assert done.returncode == 1
        assert done.stderr.startswith("workstation: error: disk full"), done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert reader.setting("analyst") == "Before"
    (small_fs / "filler").unlink()
    shown = run_cli("config", "analyst", workspace=ws_dir, check=True)
    assert shown.stdout.strip() == "Before"


def test_disk_full_while_sealing_leaves_no_partial_pack(template: Template,  # noqa: F811
                                                        small_fs: Path,  # noqa: F811
                                                        tmp_path: Path) -> None:
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    out = small_fs / "for-tiktok.alertpack.age"
    fill(small_fs, leave=8 << 10)  # far less than the pack

    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    f"{a},{b}", "-o", str(out), "--passphrase-env", PASS_ENV,
                    workspace=ws_dir, env=CLI_ENV)

    assert built.returncode == 1, built.stdout + built.stderr
    assert "workstation: error: disk full" in built.stderr, built.stderr
    assert "Traceback" not in built.stderr
    assert sorted(p.name for p in small_fs.iterdir()) == ["filler"]  # no pack, no *.tmp


def test_disk_full_while_storing_ocr_keeps_nothing_half_written(small_fs: Path,  # noqa: F811
                                                                tmp_path: Path) -> None:
    from tests.conftest import require_tool
    from workstation.storage.db import translate

    require_tool("tesseract")
    image = tmp_path / "advert.png"
    image.write_bytes(make_image(width=600, height=200, seed=5, text="Crossing guaranteed"))
    with Workspace.open(small_fs / "ws") as ws:
        cid = ws.intake.import_file(image).id
        assert cid is not None
        filler = fill(small_fs, leave=0)  # the workers read; storing their result cannot
        with pytest.raises(Exception) as caught:
            list(ws.reading.run_ocr([cid], lang="eng", jobs=1))
        assert isinstance(translate(caught.value), DiskFull), caught.value  # the CLI's line
        assert ws.reading.current_ocr(cid) is None and ws.reading.pending_ocr() == [cid]

        filler.unlink()
        outcomes = list(ws.reading.run_ocr([cid], lang="eng", jobs=1))
        assert [o.status for o in outcomes] == ["done"]
        assert ws.verify().ok
