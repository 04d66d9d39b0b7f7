"""Redacted copies on a real workspace: made from the verified original with solid boxes,
reproduced byte for byte from the log, audited; the original untouched; ``verify``
catches a swapped copy and an edited log; bad boxes refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat

import pytest
from PIL import Image

from tests.core.redaction.support import add, png
from tests.imagegen import make_image
from workstation.files import sha256_file
from workstation.redaction.apply import METHOD
from workstation.redaction.model import Box, RedactionError, canonical_log, log_sha256
from workstation.redaction.service import copy_file, remake
from workstation.workspace import Workspace


def _pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_a_redaction_fills_its_boxes_black_and_leaves_the_original_untouched(
        ws: Workspace) -> None:
    cid = add(ws, make_image(360, 640, seed=3))
    capture = ws.captures.get(cid)
    original_path = ws.store.path_for(capture.sha256)
    before = sha256_file(original_path)

    redaction = ws.redactions.redact(cid, [Box(10, 20, 100, 50, "third-party face")],
                                     reason="ignored: the box has its own")
    data = ws.redactions.read_copy(redaction)
    assert hashlib.sha256(data).hexdigest() == redaction.sha256
    assert redaction.original_sha256 == capture.sha256 == before == sha256_file(original_path)
    assert redaction.method == METHOD
    assert redaction.log_sha256 == log_sha256(canonical_log(redaction.boxes))
    image = _pixels(data)
    assert image.size == (360, 640)
    assert {image.getpixel((x, y)) for x in range(10, 110) for y in range(20, 70)} == {(0, 0, 0)}
    orig = _pixels(ws.store.read_verified(capture.sha256))
    outside = [(5, 5), (120, 30), (50, 80), (300, 600)]
    assert [image.getpixel(p) for p in outside] == [orig.getpixel(p) for p in outside]
    # no metadata chunks: only IHDR, IDAT and IEND
    assert b"tEXt" not in data and b"iCCP" not in data and b"eXIf" not in data
    path = copy_file(ws.ctx, redaction.sha256)
    assert path.read_bytes() == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not list(path.parent.parent.glob(".*.tmp"))


def test_the_log_applied_again_reproduces_the_copy_byte_for_byte(ws: Workspace) -> None:
    cid = add(ws, make_image(500, 300, seed=4))
    first = ws.redactions.redact(cid, [Box(0, 0, 40, 40, "a"), Box(400, 200, 300, 300, "b")])
    capture = ws.captures.get(cid)
    assert hashlib.sha256(remake(ws.ctx, capture, first.boxes)).hexdigest() == first.sha256
    # clipped to the image, and the log records the box as applied
    assert first.boxes[1] == Box(400, 200, 100, 100, "b", "manual")
    # the same boxes again: the same bytes
    again = ws.redactions.redact(cid, list(first.boxes))
    assert again.sha256 == first.sha256 and again.id != first.id


def test_redactions_are_cumulative_history_kept_and_audited(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=5))
    one = ws.redactions.redact(cid, [Box(1, 1, 20, 20)], reason="third-party name")
    two = ws.redactions.redact(cid, [*one.boxes, Box(50, 50, 20, 20, "", "face")],
                               reason="third-party face")
    assert ws.redactions.current(cid) == two
    assert [r.id for r in ws.redactions.history(cid)] == [one.id, two.id]
    assert [b.reason for b in two.boxes] == ["third-party name", "third-party face"]
    entries = [e for e in ws.audit_entries(capture_id=cid) if e.action == "capture.redact"]
    assert [e.details["redaction"] for e in entries] == [one.id, two.id]
    last = entries[-1].details
    assert last["sha256"] == two.sha256 and last["log_sha256"] == two.log_sha256
    assert last["boxes"] == 2 and last["reasons"] == ["third-party face", "third-party name"]
    assert ws.verify().problems == []


@pytest.mark.parametrize(("box", "message"), [
    (Box(10, 10, 0, 10, "x"), "has no size"),
    (Box(10, 10, 10, -5, "x"), "has no size"),
    (Box(400, 10, 10, 10, "x"), "outside the image"),
    (Box(-50, -50, 40, 40, "x"), "outside the image"),
    (Box(10, 10, 10, 10, "   "), "reason"),
])
def test_bad_boxes_are_refused_with_one_line(ws: Workspace, box: Box, message: str) -> None:
    cid = add(ws, make_image(360, 640, seed=6))
    with pytest.raises(RedactionError, match=message) as caught:
        ws.redactions.redact(cid, [box])
    assert "\n" not in str(caught.value)
    assert ws.redactions.current(cid) is None
    with pytest.raises(RedactionError, match="at least one box"):
        ws.redactions.redact(cid, [])


def test_the_copy_is_in_the_pixels_as_shown_exif_orientation_applied(ws: Workspace) -> None:
    stored = Image.new("RGB", (200, 100), "white")  # stored landscape, shown portrait
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif.tobytes())
    cid = add(ws, buffer.getvalue())
    redaction = ws.redactions.redact(cid, [Box(0, 150, 100, 50, "x")])
    image = _pixels(ws.redactions.read_copy(redaction))
    assert image.size == (100, 200)
    assert image.getpixel((50, 190)) == (0, 0, 0)
    with pytest.raises(RedactionError, match="outside"):
        ws.redactions.redact(cid, [Box(150, 10, 20, 20, "x")])  # inside the stored width only


def test_keeps_greyscale_and_transparency_in_the_copy(ws: Workspace) -> None:
    grey = add(ws, png(Image.new("L", (64, 64), 200)))
    rgba = add(ws, png(Image.new("RGBA", (64, 64), (10, 200, 30, 128))))
    g = ws.redactions.redact(grey, [Box(0, 0, 8, 8, "x")])
    a = ws.redactions.redact(rgba, [Box(0, 0, 8, 8, "x")])
    gi = Image.open(io.BytesIO(ws.redactions.read_copy(g)))
    ai = Image.open(io.BytesIO(ws.redactions.read_copy(a)))
    assert (gi.mode, gi.getpixel((1, 1)), gi.getpixel((20, 20))) == ("L", 0, 200)
    assert (ai.mode, ai.getpixel((1, 1))) == ("RGBA", (0, 0, 0, 255))


def test_verify_reports_a_swapped_copy_and_leaves_it(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=7))
    redaction = ws.redactions.redact(cid, [Box(5, 5, 30, 30, "x")])
    path = copy_file(ws.ctx, redaction.sha256)
    swapped = png(Image.new("RGB", (360, 640), "black"))
    path.write_bytes(swapped)
    problems = ws.verify().problems
    assert [(p.kind, p.capture_id) for p in problems] == [("redaction-altered", cid)]
    assert "does not match its recorded SHA-256" in problems[0].message
    assert path.read_bytes() == swapped  # reported, not replaced
    # reading the copy remakes it from the original and the log (the same SHA-256)
    assert hashlib.sha256(ws.redactions.read_copy(redaction)).hexdigest() == redaction.sha256
    assert hashlib.sha256(path.read_bytes()).hexdigest() == redaction.sha256
    assert ws.verify().problems == []


def test_a_missing_copy_is_made_again_when_read(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=8))
    redaction = ws.redactions.redact(cid, [Box(5, 5, 30, 30, "x")])
    path = copy_file(ws.ctx, redaction.sha256)
    path.unlink()
    assert ws.verify().problems == []
    assert hashlib.sha256(ws.redactions.read_copy(redaction)).hexdigest() == redaction.sha256
    assert path.is_file()


def test_verify_reports_a_changed_log_row(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=9))
    redaction = ws.redactions.redact(cid, [Box(5, 5, 30, 30, "x")])
    shrunk = canonical_log([Box(5, 5, 3, 3, "x")])
    ws.conn.execute("UPDATE redactions SET boxes = ? WHERE id = ?", (shrunk, redaction.id))
    ws.conn.commit()
    problems = ws.verify().problems
    assert [(p.kind, p.capture_id) for p in problems] == [("record-altered", cid)]
    assert "redaction log" in problems[0].message
    # the log hash changed too: the audit trail still says otherwise
    ws.conn.execute("UPDATE redactions SET log_sha256 = ? WHERE id = ?",
                    (log_sha256(shrunk), redaction.id))
    ws.conn.commit()
    problems = ws.verify().problems
    assert [(p.kind, p.capture_id) for p in problems] == [("record-altered", cid)]
    assert "log_sha256" in problems[0].message


def test_verify_reports_an_unaudited_and_a_deleted_redaction(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=10))
    redaction = ws.redactions.redact(cid, [Box(5, 5, 30, 30, "x")])
    row = ws.conn.execute("SELECT * FROM redactions WHERE id = ?", (redaction.id,)).fetchone()
    ws.conn.execute("DELETE FROM redactions WHERE id = ?", (redaction.id,))
    ws.conn.execute(
        "INSERT INTO redactions (id, capture_id, original_sha256, sha256, boxes, log_sha256, "
        "method, created_at, created_by) VALUES (50, ?, ?, ?, ?, ?, ?, ?, ?)",
        [row[k] for k in ("capture_id", "original_sha256", "sha256", "boxes", "log_sha256",
                          "method", "created_at", "created_by")])
    ws.conn.commit()
    kinds = sorted(p.kind for p in ws.verify().problems)
    assert kinds == ["record-deleted", "record-unaudited"]


def test_a_copy_whose_log_no_longer_reproduces_it_is_refused(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=11))
    redaction = ws.redactions.redact(cid, [Box(5, 5, 30, 30, "x")])
    copy_file(ws.ctx, redaction.sha256).unlink()
    ws.conn.execute("UPDATE redactions SET boxes = ? WHERE id = ?",
                    (json.dumps([{"x": 1, "y": 1, "w": 2, "h": 2}]), redaction.id))
    ws.conn.commit()
    changed = ws.redactions.get(redaction.id)
    with pytest.raises(RedactionError, match="no longer gives the recorded"):
        ws.redactions.read_copy(changed)
