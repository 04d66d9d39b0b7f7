"""Reading features through the façade and the CLI: search, indicators, links, PDQ, OCR runs."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import ROOT, interruptible, run_cli
from tests.imagegen import make_image, make_screenshot
from workstation.errors import WorkstationError
from workstation.models import CaptureMeta
from workstation.workspace import Workspace

NOTO = Path("/usr/share/fonts/truetype/noto")


def _text_image(lines: list[tuple[str, str]], width: int = 900) -> bytes:
    """Render lines of (text, font file) as a clean screenshot-like PNG."""
    height = 80 + 70 * len(lines)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for n, (text, font_name) in enumerate(lines):
        font = ImageFont.truetype(str(NOTO / font_name), 34)
        y = 40 + 70 * n
        if "Arabic" in font_name:
            draw.text((width - 30, y), text, font=font, fill="black", direction="rtl",
                      anchor="ra")
        else:
            draw.text((30, y), text, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_search_arabic_and_persian_ignores_harakat_and_letter_variants(ws: Workspace) -> None:
    arabic = ws.intake.import_bytes(make_image(seed=1), CaptureMeta(
        notes="رحلةٌ آمِنةٌ إلى بريطانيا بالقارب، السعر ١٥٠٠ يورو"), method="paste").id
    persian = ws.intake.import_bytes(make_image(seed=2), CaptureMeta(
        notes="سفر امن به انگلیس با قایق، تماس واتساپ ۰۷۷۰۰۹۰۰۱۲۳"), method="paste").id
    ws.intake.import_bytes(make_image(seed=3), CaptureMeta(notes="nothing relevant here"),
                    method="paste")
    assert [h.capture_id for h in ws.reading.search("السعر")] == [arabic]
    assert [h.capture_id for h in ws.reading.search("السِّعْر")] == [arabic]  # harakat in the query
    assert [h.capture_id for h in ws.reading.search("رحله")] == [arabic]  # ة written as ه
    # Persian keheh/yeh written with Arabic kaf/yeh still match.
    assert [h.capture_id for h in ws.reading.search("تماس")] == [persian]
    assert [h.capture_id for h in ws.reading.search("قايق")] == [persian]
    assert [h.capture_id for h in ws.reading.search("قای*")] == [persian]  # prefix query
    # Persian digits are found by their ASCII form, in the notes and as an indicator.
    assert persian in [h.capture_id for h in ws.reading.search("07700900123")]
    # The UK in Arabic also finds it in Persian (synonyms), harakat or not; each snippet
    # shows the word as written, marked.
    assert arabic is not None and persian is not None
    for query in ("بريطانيا", "بِرِيطانْيا"):
        hits = {h.capture_id: h.snippet for h in ws.reading.search(query)}
        assert set(hits) == {arabic, persian}
        assert "[بريطانيا]" in hits[arabic] and "[انگلیس]" in hits[persian]
    with pytest.raises(WorkstationError, match="empty"):
        ws.reading.search("  ;; ")


def test_indicators_from_notes_and_metadata_and_links(ws: Workspace) -> None:
    a = ws.intake.import_bytes(make_image(seed=10), CaptureMeta(
        case="Op A", source_url="https://www.facebook.com/boats.uk.safe/posts/123",
        notes="WhatsApp +44 7700 900123, 1500€ per person"), method="paste").id
    b = ws.intake.import_bytes(make_image(seed=11), CaptureMeta(
        case="Op B", source_url="https://www.tiktok.com/@channel_trips/video/987",
        notes="call 0044.7700.900123 now"), method="paste").id
    c = ws.intake.import_bytes(make_image(seed=12), CaptureMeta(notes="price 1500 EUR"),
                        method="paste").id
    kinds = {(i.kind, i.normalized) for i in ws.reading.indicators(a)}
    assert ("phone", "+447700900123") in kinds and ("price", "EUR 1500") in kinds
    assert ("handle", "boats.uk.safe") in kinds
    links = ws.reading.links(a)
    assert [link.capture_id for link in links] == [b]  # a shared price does not link
    assert {"kind": "phone", "normalized": "+447700900123"} in links[0].shared
    assert ws.reading.links(c) == []
    # Editing the notes rebuilds the indicators (and the old value stays in the audit trail).
    ws.captures.set_notes(b, "no number any more")
    assert ws.reading.links(a) == []
    # from the metadata
    assert sorted(i.kind for i in ws.reading.indicators(b)) == ["handle", "url"]


def test_pdq_finds_reencoded_resized_copy(ws: Workspace, tmp_path: Path) -> None:
    original = make_screenshot(width=720, height=1560, seed=42)
    first = ws.intake.import_bytes(original, method="paste").id
    copy = Image.open(io.BytesIO(original)).convert("RGB")
    copy = copy.resize((540, 1170), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=70)
    second = ws.intake.import_bytes(out.getvalue(),
                                    method="paste").id
    other = ws.intake.import_bytes(make_screenshot(width=720, height=1560, seed=99),
                                   method="paste").id
    pdq, quality = ws.reading.pdq_of(first) or ("", 0)
    assert len(pdq) == 64 and quality >= 50
    similar = ws.reading.similar(first)
    assert [s.capture_id for s in similar] == [second]
    assert similar[0].distance <= 31
    assert other not in [link.capture_id for link in ws.reading.links(first)]
    assert any(link.pdq_distance is not None for link in ws.reading.links(second))


def test_ocr_cli_show_json_search_and_history(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    english = tmp_path / "en.png"
    english.write_bytes(_text_image([
        ("Boat to UK guaranteed, safe trip", "NotoSans-Regular.ttf"),
        ("WhatsApp +44 7700 900123", "NotoSans-Regular.ttf"),
    ]))
    arabic = tmp_path / "ar.png"
    arabic.write_bytes(_text_image([
        ("رحلة آمنة إلى بريطانيا", "NotoNaskhArabic-Regular.ttf"),
        ("+44 7700 900123  wa.me/447700900123", "NotoSans-Regular.ttf"),
    ]))
    run_cli("import", str(english), str(arabic), "--case", "OCR", workspace=ws, check=True)
    result = run_cli("ocr", "--json", "--jobs", "2", workspace=ws, check=True)
    outcomes = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(o["capture_id"] for o in outcomes) == [1, 2]
    assert all(o["status"] == "done" for o in outcomes)

    shown = json.loads(run_cli("show", "1", "--json", workspace=ws, check=True).stdout)
    assert "guaranteed" in shown["ocr"]["text"]
    assert shown["ocr"]["engine"].startswith(("tesserocr", "pytesseract"))
    assert shown["ocr"]["confidence"] > 60
    assert {"kind": "phone", "value": "+44 7700 900123", "normalized": "+447700900123"} in [
        {k: i[k] for k in ("kind", "value", "normalized")} for i in shown["indicators"]]
    assert shown["flagged"] is True
    first = json.loads(run_cli("list", "--flagged", "--json", workspace=ws, check=True).stdout)
    assert first[0]["flagged"] is True

    shown_ar = json.loads(run_cli("show", "2", "--json", workspace=ws, check=True).stdout)
    assert "بريطانيا" in shown_ar["ocr"]["text"]
    assert any(i["normalized"] == "+447700900123" for i in shown_ar["indicators"])

    links = json.loads(run_cli("links", "1", "--json", workspace=ws, check=True).stdout)
    assert [link["capture_id"] for link in links] == [2]
    hits = json.loads(run_cli("search", "بريطانيا", "--json", workspace=ws, check=True).stdout)
    snippets = {h["capture_id"]: h["snippet"] for h in hits}  # the UK in either script
    assert "[بريطانيا]" in snippets[2] and "[UK]" in snippets[1]
    phones = json.loads(run_cli("indicators", "--kind", "phone", "--json", workspace=ws,
                                check=True).stdout)
    assert {p["capture_id"] for p in phones} == {1, 2}

    # Reading again keeps the history; the latest run is current; runs are audited.
    run_cli("ocr", "1", "--lang", "eng", workspace=ws, check=True)
    with Workspace.open(ws, readonly=True) as opened:
        history = opened.reading.ocr_history(1)
        assert len(history) == 2 and history[-1].languages == "eng"
        assert opened.reading.current_ocr(1) == history[-1]
        words = history[-1].words
        assert words and all(len(w["bbox"]) == 4 for w in words)
        assert [e.action for e in opened.audit_entries(capture_id=1)].count("ocr.run") == 2
    assert run_cli("ocr", workspace=ws).returncode == 0  # nothing pending
    assert run_cli("verify", workspace=ws).returncode == 0


def test_missing_language_is_a_clear_error(tmp_path: Path, image_file) -> None:
    ws = tmp_path / "ws"
    run_cli("import", str(image_file()), workspace=ws, check=True)
    result = run_cli("ocr", "1", "--lang", "jpn", "--json", workspace=ws)
    assert result.returncode == 1
    combined = result.stdout + result.stderr
    assert "tesseract-ocr-jpn" in combined and "Traceback" not in combined


def test_ctrl_c_keeps_finished_ocr_results(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    folder = tmp_path / "shots"
    folder.mkdir()
    for i in range(12):
        (folder / f"{i}.png").write_bytes(_text_image([(f"Crossing number {i} tonight",
                                                        "NotoSans-Regular.ttf")]))
    run_cli("import", str(folder), workspace=ws, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "--workspace", str(ws), "ocr", "--json",
         "--jobs", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert json.loads(first)["status"] == "done"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    finished = 1 + len([line for line in out.splitlines() if line.strip()])
    time.sleep(0.1)
    with Workspace.open(ws, readonly=True) as opened:
        done = 12 - len(opened.reading.pending_ocr())
    assert done >= finished and 0 < done < 12
    assert "kept" in err
    assert run_cli("verify", workspace=ws).returncode == 0
