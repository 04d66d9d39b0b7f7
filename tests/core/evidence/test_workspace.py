"""The evidence workspace through the Workspace façade, on real SQLite files and images."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.imagegen import make_image
from workstation.errors import NotFound, WorkspaceInUse, WorkstationError
from workstation.models import CaptureMeta
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace


def test_import_keeps_original_bytes_and_records_facts(ws: Workspace, image_file) -> None:
    path = image_file("advert.png", width=300, height=500)
    original = path.read_bytes()
    result = ws.intake.import_file(path, CaptureMeta(
        case="Op Channel", source_url="https://www.instagram.com/p/CxYz123/",
        notes="first sighting", captured_at="2026-11-20T14:03:00+01:00", tags=("boat",)))
    assert result.status == "imported"
    capture = ws.captures.get(result.id)
    assert capture.sha256 == hashlib.sha256(original).hexdigest()
    assert capture.md5 == hashlib.md5(original).hexdigest()
    assert (capture.size, capture.format, capture.width, capture.height) == (
        len(original), "png", 300, 500)
    assert capture.captured_at == "2026-11-20T13:03:00.000Z"
    assert capture.captured_at_source == "analyst"
    assert capture.platform == "instagram" and capture.content_id == "CxYz123"
    assert capture.case == "Op Channel" and capture.tags == ("boat",)
    assert capture.capture_method == "import" and capture.original_filename == "advert.png"
    stored = ws.captures.evidence_path(capture)
    sha = capture.sha256
    assert stored == ws.root / "evidence" / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == original
    assert not os.stat(stored).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert ws.captures.read_evidence(capture.id) == original


def test_file_time_used_when_analyst_gives_none(ws: Workspace, image_file) -> None:
    path = image_file()
    os.utime(path, (1_700_000_000, 1_700_000_000))
    capture = ws.captures.get(ws.intake.import_file(path).id)
    assert capture.captured_at == "2023-11-14T22:13:20.000Z"
    assert capture.captured_at_source == "file"


def test_same_bytes_twice_is_a_duplicate(ws: Workspace, image_file, tmp_path: Path) -> None:
    path = image_file()
    first = ws.intake.import_file(path)
    copy = tmp_path / "renamed-copy.png"
    copy.write_bytes(path.read_bytes())
    second = ws.intake.import_file(copy)
    assert second.status == "duplicate" and second.id == first.id
    assert second.message == f"already captured as #{first.id}"
    assert len(ws.captures.all()) == 1
    assert len([e for e in ws.audit_entries() if e.action == "capture.import"]) == 1


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"])
def test_accepted_formats(ws: Workspace, image_file, fmt: str) -> None:
    result = ws.intake.import_file(image_file(fmt=fmt, width=120, height=80))
    assert result.status == "imported", result.error
    capture = ws.captures.get(result.id)
    assert (capture.width, capture.height) == (120, 80)
    assert ws.captures.thumbnail_path(capture).exists()


def test_heic_is_accepted(ws: Workspace, tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "phone.heic"
    image = Image.open(io.BytesIO(make_image(width=64, height=48)))
    pillow_heif.from_pillow(image).save(path, quality=80)
    result = ws.intake.import_file(path)
    assert result.status == "imported", result.error
    assert ws.captures.get(result.id).format == "heic"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = zlib.compress(row * 10, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", data) + \
        _png_chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"this is a text file pretending to be an image\n", "not an image"),
        (b"%PDF-1.7\n" + b"0" * 200, "not an image"),
        (None, "truncated"),
        (_bomb_png(20_000, 20_000), "decompression bomb"),
    ],
    ids=["empty", "text", "pdf", "truncated", "bomb"],
)
def test_bad_inputs_rejected_with_nothing_written(
    ws: Workspace, tmp_path: Path, content: bytes | None, reason: str
) -> None:
    if content is None:
        content = make_image(width=400, height=400)[:-2000]
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    before_audit = len(ws.audit_entries())
    result = ws.intake.import_file(path)
    assert result.status == "rejected"
    assert reason in (result.error or "")
    assert ws.captures.all() == []
    assert len(ws.audit_entries()) == before_audit
    assert list(ws.store.all_hashes()) == []
    assert list((ws.root / "evidence" / "tmp").iterdir()) == []


def test_pixel_limit_is_configurable(ws: Workspace, image_file) -> None:
    ws.set_setting("max_pixels", "10000")
    result = ws.intake.import_file(image_file(width=200, height=100))
    assert result.status == "rejected" and "20000" not in (result.error or "")
    assert "limit" in (result.error or "")


def test_unreadable_and_missing_paths(ws: Workspace, image_file, tmp_path: Path) -> None:
    missing = ws.intake.import_file(tmp_path / "nope.png")
    assert missing.status == "rejected" and "not found" in (missing.error or "")
    if os.geteuid() != 0:  # root reads everything
        locked = image_file()
        locked.chmod(0)
        assert ws.intake.import_file(locked).status == "rejected"


def test_folder_import_reports_failures_and_goes_on(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "phone" / "DCIM"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(make_image(seed=1))
    (folder / "notes.txt").write_text("not an image")
    (folder / "sub" / "b.jpg").write_bytes(make_image(seed=2, fmt="JPEG"))
    (folder / "sub" / "c.png").write_bytes(make_image(seed=3)[:100])
    results = list(ws.intake.import_paths([tmp_path / "phone"], CaptureMeta(case="Folder")))
    by_name = {Path(r.path).name: r.status for r in results}
    assert by_name == {"a.png": "imported", "notes.txt": "rejected", "b.jpg": "imported",
                       "c.png": "rejected"}
    assert ws.cases.get("Folder").capture_count == 2


def test_thumbnail_is_derived_and_regenerated(ws: Workspace, image_file) -> None:
    capture = ws.captures.get(ws.intake.import_file(image_file(width=1000, height=2000)).id)
    thumb = ws.captures.thumbnail_path(capture)
    with Image.open(thumb) as im:
        assert max(im.size) == 320
    thumb.unlink()
    again = ws.captures.thumbnail_path(capture)
    assert again.exists() and again != ws.captures.evidence_path(capture)
    assert ws.verify().ok


def test_killed_thumbnail_writes_leave_nothing_after_reopen(ws_path: Path, image_file) -> None:
    ws = Workspace.open(ws_path)
    capture = ws.captures.get(ws.intake.import_file(image_file(width=400, height=300)).id)
    thumbs = ws.captures.thumbnail_path(capture).parent.parent
    ws.close()
    # What a writer killed mid-write leaves: its temporary file, staged in thumbs/ itself.
    partial = thumbs / f".{capture.sha256}.jpg.k1ll3d.tmp"
    partial.write_bytes(b"\xff\xd8half a JPEG")
    unrelated = thumbs / "notes.txt"
    unrelated.write_text("not ours")
    reader = Workspace.open(ws_path, readonly=True)
    reader.close()
    assert partial.exists()  # a reader leaves a writer's files alone
    Workspace.open(ws_path).close()
    assert not partial.exists() and unrelated.exists()
    assert sorted(p.name for p in thumbs.rglob("*.tmp")) == []


def test_cases_create_close_reopen(ws: Workspace, image_file) -> None:
    ws.cases.create("Op Dover")
    with pytest.raises(WorkstationError, match="already exists"):
        ws.cases.create("Op Dover")
    ws.cases.set_status("Op Dover", "closed")
    assert ws.cases.get("Op Dover").status == "closed"
    with pytest.raises(WorkstationError, match="closed"):
        list(ws.intake.import_paths([image_file()], CaptureMeta(case="Op Dover")))
    ws.cases.set_status("Op Dover", "open")
    assert ws.intake.import_file(image_file(), CaptureMeta(case="Op Dover")).status == "imported"
    actions = [e.action for e in ws.audit_entries(case="Op Dover")]
    assert actions == ["case.create", "case.close", "case.reopen", "capture.import"]


def test_edits_keep_previous_values_in_audit(ws: Workspace, image_file) -> None:
    cid = ws.intake.import_file(image_file(), CaptureMeta(notes="v1")).id
    ws.captures.set_notes(cid, "v2")
    ws.captures.edit(cid, source_url="https://x.com/smuggler_uk/status/1790000000000000000")
    ws.captures.add_tags(cid, ["priority", "boat"])
    ws.captures.remove_tags(cid, ["boat"])
    capture = ws.captures.get(cid)
    assert capture.notes == "v2" and capture.platform == "x"
    assert capture.handle == "smuggler_uk" and capture.content_id == "1790000000000000000"
    assert capture.tags == ("priority",)
    edits = [e.details["changes"] for e in ws.audit_entries(capture_id=cid)
             if e.action == "capture.edit"]
    assert edits[0]["notes"] == {"old": "v1", "new": "v2"}
    assert edits[1]["source_url"] == {"old": None,
                                      "new": "https://x.com/smuggler_uk/status/1790000000000000000"}
    assert ws.verify().ok


def test_unknown_capture(ws: Workspace) -> None:
    with pytest.raises(NotFound, match="#42"):
        ws.captures.get(42)


def test_second_writer_is_refused(ws_path: Path) -> None:
    first = Workspace.open(ws_path)
    try:
        with pytest.raises(WorkspaceInUse, match="in use"):
            Workspace.open(ws_path)
        reader = Workspace.open(ws_path, readonly=True)
        assert reader.status().captures == 0
        reader.close()
    finally:
        first.close()
    Workspace.open(ws_path).close()


def test_paste_bytes(ws: Workspace) -> None:
    result = ws.intake.import_bytes(make_image(seed=9), method="paste")
    capture = ws.captures.get(result.id)
    assert capture.capture_method == "paste" and capture.captured_at_source == "system"


def test_wal_and_foreign_keys(ws: Workspace) -> None:
    assert ws.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ws.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        ws.conn.execute("INSERT INTO capture_tags (capture_id, tag) VALUES (999, 'x')")
