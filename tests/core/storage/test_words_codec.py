"""The compact form of ``ocr_runs.words``: exact round trips, JSON when it cannot be
exact, old JSON rows still read, and the size it saves, on a real workspace."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imagegen import make_image
from workstation.reading.ocr.result import OcrResult, OcrWord
from workstation.storage import wordcodec
from workstation.storage.reading_repo import decode_words
from workstation.workspace import Workspace

SEPARATORS = st.sampled_from([" ", "\n", "\n\n", "  ", " | "])
ODD_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)
WORD_TEXT = st.one_of(
    st.sampled_from(["Boat", "واتساب", "بريطانيا", "+44", "7700", "900123", "xuồng", "؟",
                     "ብሪጣንያ", "", " ", "[x]", "a\u200cb", "\u202bنص\u202c", "Boat"]),
    ODD_TEXT)
COORD = st.integers(min_value=-5, max_value=70_000)


@st.composite
def words_and_text(draw: st.DrawFn) -> tuple[list[dict[str, object]], str]:
    count = draw(st.integers(min_value=0, max_value=40))
    words: list[dict[str, object]] = []
    pieces: list[str] = [draw(st.sampled_from(["", "Like Share\n"]))]
    for k in range(count):
        text = draw(WORD_TEXT)
        confidence = draw(st.one_of(
            st.integers(min_value=0, max_value=10_000).map(lambda c: c / 100),
            st.sampled_from([-1.0, 95, 96.5])))
        words.append({"text": text, "confidence": confidence,
                      "bbox": [draw(COORD), draw(COORD), draw(COORD), draw(COORD)],
                      "block": draw(st.integers(0, 9)), "paragraph": draw(st.integers(0, 9)),
                      "line": draw(st.integers(0, 30)), "word": k + 1})
        pieces += [text, draw(SEPARATORS)]
    text = "".join(pieces)
    if draw(st.booleans()) and words:  # the run's text does not hold every word
        text = draw(ODD_TEXT)
    return words, text


@settings(max_examples=300, deadline=None)
@given(words_and_text())
def test_any_words_come_back_exactly_as_json_would_give_them(
        case: tuple[list[dict[str, object]], str]) -> None:
    words, text = case
    stored = wordcodec.encode_words(words, text)
    assert decode_words(stored, text) == json.loads(json.dumps(words))
    assert isinstance(stored, bytes) == bool(words)  # ordinary words: always compact


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "text": ODD_TEXT,
    "confidence": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                            st.none(), st.just(87.123)),
    "bbox": st.lists(st.one_of(st.integers(-2**70, 2**70), st.floats(0, 10)),
                     min_size=3, max_size=5),
    "block": st.integers(-2**70, 2**70), "paragraph": st.just(1), "line": st.just(1),
    "word": st.just(1)}), min_size=1, max_size=5))
def test_what_the_compact_form_cannot_hold_exactly_is_kept_as_json(
        words: list[dict[str, object]]) -> None:
    """Huge or fractional coordinates, odd confidences: stored as JSON, nothing lost."""
    text = " ".join(str(w["text"]) for w in words)
    try:
        expected = json.loads(json.dumps(words))
    except ValueError:
        return  # NaN is not JSON either; the OCR never produces it
    stored = wordcodec.encode_words(words, text)
    assert decode_words(stored, text) == expected


def test_old_json_rows_and_damaged_blobs() -> None:
    old = '[{"text":"boat","confidence":91.5,"bbox":[1,2,3,4],"block":1,"paragraph":1,' \
          '"line":1,"word":1}]'
    assert decode_words(old)[0]["text"] == "boat"  # a row stored before 0005
    assert decode_words(old.encode()) == decode_words(old)
    assert decode_words(None) == [] and decode_words("") == []
    blob = wordcodec.encode_words(json.loads(old), "a boat")
    assert isinstance(blob, bytes) and blob[0] == wordcodec.TEXT_FROM_RUN
    with pytest.raises(wordcodec.WordsCodecError, match="need their run's text"):
        decode_words(blob)
    with pytest.raises(wordcodec.WordsCodecError, match="damaged"):
        decode_words(blob[:-3], "a boat")
    with pytest.raises(wordcodec.WordsCodecError, match="cut short"):
        decode_words(bytes([1]) + zlib.compress(b"\x01\x80"), "a boat")
    with pytest.raises(wordcodec.WordsCodecError, match="neither JSON"):
        decode_words(b"\xff\x00garbage")


def _result(lines: list[str]) -> OcrResult:
    words = []
    for n, line in enumerate(lines, start=1):
        x = 20
        for k, token in enumerate(line.split(), start=1):
            words.append(OcrWord(token, 60 + (n * 7 + k * 3) % 40 + 0.25, (x, 30 + 50 * n,
                                 14 * len(token), 30), 1, n, 1, k))
            x += 14 * len(token) + 12
    return OcrResult("tesserocr", "5.3.0", ["fas", "eng"], {"psm": 3}, "\n".join(lines),
                     words, 80.0, 0.5, (1080, 2340), advert_languages=["fas", "eng"],
                     coverage=0.875, unread=[(10, 20, 300, 40)])


def test_runs_are_stored_compact_and_read_back_whole(tmp_path: Path) -> None:
    """Through the real workspace: the stored row is the compact BLOB, several times
    smaller than JSON, and the run reads back with its words, languages and coverage."""
    lines = ["قایق به انگلیس هر شب از کاله، جا محدود است",
             "برای اطلاعات بیشتر در واتساپ پیام بدهید +44 7700 900123",
             "Safe crossing to the UK by boat every week"] * 4
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        cid = ws.intake.import_bytes(make_image(seed=4), method="paste").id
        assert cid is not None
        result = _result(lines)
        ws.reading._store_ocr(cid, result)
        run = ws.reading.current_ocr(cid)
        assert run is not None
        assert run.words == [w.to_dict() for w in result.words]
        stored = ws.conn.execute("SELECT words FROM ocr_runs WHERE id = ?",
                                 (run.id,)).fetchone()[0]
        as_json = json.dumps(run.words, ensure_ascii=False, separators=(",", ":"))
        assert isinstance(stored, bytes) and len(stored) * 5 < len(as_json.encode())
        assert run.advert_languages == "fas+eng"
        assert run.coverage == pytest.approx(0.875)
        assert run.unread == [[10, 20, 300, 40]]
