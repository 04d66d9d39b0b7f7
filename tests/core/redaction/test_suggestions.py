"""Suggestions for redaction: faces from the bundled CenterFace model (real OpenCV DNN),
phone numbers and e-mail addresses from a real Tesseract run; nothing is applied; a
missing or damaged model gives a note, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.core.redaction.support import EMAIL, add, drawn_face, png, text_advert
from workstation.redaction import faces
from workstation.redaction.faces import FaceModel, FaceModelUnavailable, detect_faces
from workstation.redaction.suggest import shown_box
from workstation.workspace import Workspace


def test_the_bundled_model_finds_a_drawn_face_at_a_low_threshold() -> None:
    found = detect_faces(drawn_face(608))
    assert found, "the drawn face is found"
    best = found[0]
    assert faces.THRESHOLD <= best.score <= 1
    # the box covers the middle of the face (drawn around 304,304)
    assert best.x < 304 < best.x + best.w and best.y < 304 < best.y + best.h
    # deterministic: the same image gives the same boxes
    assert detect_faces(drawn_face(608)) == found


def test_no_face_in_a_plain_image_and_any_size_works() -> None:
    for size in ((360, 640), (1080, 2340), (50, 30)):
        result = detect_faces(Image.new("RGB", size, (128, 128, 128)))
        assert result == []
    # after other sizes, the same image still gives the same result (one input size)
    assert detect_faces(drawn_face(608))


def test_a_missing_or_damaged_model_is_a_clear_message(tmp_path: Path) -> None:
    missing = FaceModel(tmp_path / "centerface.onnx")
    with pytest.raises(FaceModelUnavailable, match="missing"):
        missing.net()
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(b"not a model")
    with pytest.raises(FaceModelUnavailable, match="cannot be loaded") as caught:
        detect_faces(drawn_face(64), model=FaceModel(damaged))
    assert "\n" not in str(caught.value)


def test_suggestions_without_the_model_still_list_the_rest(
        ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faces, "_default", FaceModel(tmp_path / "gone.onnx"))
    cid = add(ws, png(drawn_face(200)))
    found = ws.redactions.suggest(cid)
    assert found.items == []
    assert any("face model" in n for n in found.notes)
    assert any("Not yet OCR'd" in n for n in found.notes)


def test_faces_and_ocr_details_are_suggested_never_applied(ws: Workspace) -> None:
    advert = text_advert()
    canvas = Image.new("RGB", (900, 1000), "white")
    canvas.paste(advert, (0, 0))
    canvas.paste(drawn_face(608), (146, 380))
    cid = add(ws, png(canvas))
    outcomes = list(ws.reading.run_ocr([cid], lang="eng", jobs=1))
    assert [o.status for o in outcomes] == ["done"]
    found = ws.redactions.suggest(cid)
    by_source: dict[str, list[object]] = {}
    for s in found.items:
        by_source.setdefault(s.box.source, []).append(s)
    assert "face" in by_source, found
    face = by_source["face"][0]
    assert face.box.reason == "third-party face"  # type: ignore[attr-defined]
    ocr = {s.box.reason: s.box for s in found.items if s.box.source == "ocr"}
    phone = ocr["third-party phone number"]
    assert 110 <= phone.y + phone.h // 2 <= 200 and phone.x >= 100  # the "Call" line
    mail = ocr["third-party e-mail address"]
    assert 210 <= mail.y + mail.h // 2 <= 300
    assert any(EMAIL in s.label for s in found.items)
    assert ws.redactions.current(cid) is None  # nothing applied
    words = dict((t, b) for t, b in ws.redactions.ocr_words(cid))
    assert "Safe" in words and words["Safe"][1] < 100


def test_boxes_follow_the_exif_orientation() -> None:
    # stored 200x100, orientation 6 (shown rotated clockwise: 100x200)
    assert shown_box((0, 0, 10, 20), (200, 100), 6) == (80, 0, 20, 10)
    assert shown_box((5, 6, 7, 8), (200, 100), 1) == (5, 6, 7, 8)
    assert shown_box((0, 0, 10, 20), (200, 100), 3) == (190, 80, 10, 20)
