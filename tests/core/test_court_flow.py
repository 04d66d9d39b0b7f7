"""Issue 14's "done when", end to end through the real CLI (subprocesses, real parts):
open a case, import a capture with a face and a third-party phone number, assign its
exhibit reference, OCR it (real Tesseract), redact what the suggestions find (real
CenterFace model), timestamp at a real loopback TSA, write the signed case report, check
its signature and read it back with poppler's ``pdftotext``; ``verify`` passes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from PIL import Image

from tests.conftest import require_tool, run_cli
from tests.core.packs.support import CLI_ENV, PASS_ENV
from tests.core.redaction.support import drawn_face, png, text_advert
from tests.issuer import ISSUER_FLAGS
from tests.tsa import LoopbackTSA, make_pki


def _cli(ws: Path, *args: str) -> str:
    return run_cli(*args, workspace=ws, env=CLI_ENV, check=True).stdout


def _advert(path: Path) -> Path:
    """The text advert (a phone number in its "Call" line) with a drawn face below it."""
    canvas = Image.new("RGB", (900, 1000), "white")
    canvas.paste(text_advert(), (0, 0))
    canvas.paste(drawn_face(608), (146, 380))
    path.write_bytes(png(canvas))
    return path


def test_case_capture_redact_timestamp_report_check_read_back(tmp_path: Path) -> None:
    require_tool("openssl")
    pdftotext = require_tool("pdftotext")
    ws = tmp_path / "ws"
    _cli(ws, "init")
    _cli(ws, "key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS)
    _cli(ws, "case", "new", "op-court")
    imported = json.loads(_cli(ws, "import", str(_advert(tmp_path / "advert.png")),
                               "--case", "op-court", "--json",
                               "--url", "https://www.tiktok.com/@crossings/video/7301"))
    assert imported["status"] == "imported", imported
    cid = str(imported["id"])
    shown = json.loads(_cli(ws, "show", cid, "--json"))
    original_sha256, original_md5 = shown["sha256"], shown["md5"]

    exhibit = json.loads(_cli(ws, "exhibit", cid, "--json"))["exhibit"]
    assert exhibit == "TA/1"  # "Test Analyst", the first number
    assert json.loads(_cli(ws, "exhibit", cid, "--json"))["exhibit"] == exhibit  # kept
    _cli(ws, "ocr", cid, "--lang", "eng")

    found = json.loads(_cli(ws, "redact", cid, "--suggest", "--json"))["suggestions"]
    boxes = {s["box"]["reason"]: s["box"] for s in found}
    face, phone = boxes["third-party face"], boxes["third-party phone number"]
    assert face["x"] < 450 < face["x"] + face["w"] and face["y"] < 684 < face["y"] + face["h"]
    assert 110 <= phone["y"] + phone["h"] // 2 <= 200  # the "Call" line
    assert run_cli("redactions", cid, "--json", workspace=ws).stdout.strip() == "[]"
    made = json.loads(_cli(
        ws, "redact", cid, "--json",
        "--box", "{x},{y},{w},{h}:third-party face".format(**face),
        "--box", "{x},{y},{w},{h}:third-party phone number".format(**phone)))
    assert made["original_sha256"] == original_sha256 != made["sha256"]
    assert [b["reason"] for b in made["boxes"]] == ["third-party face",
                                                    "third-party phone number"]

    pki = make_pki(tmp_path / "pki")
    with LoopbackTSA(pki) as tsa:
        _cli(ws, "tsa", "add", tsa.url, "--ca", str(pki.ca_pem))
        assert "Queued timestamp" in _cli(ws, "timestamp")  # offline: queued only
        assert tsa.requests == 0
        sent = _cli(ws, "timestamp", "--send")
        assert tsa.requests >= 1 and "timestamp(s) received" in sent
    stamps = json.loads(_cli(ws, "timestamps", "--json"))
    assert stamps and {s["state"] for s in stamps} == {"stamped"}

    pdf = tmp_path / "op-court.pdf"
    _cli(ws, "report", "op-court", "-o", str(pdf), "--passphrase-env", PASS_ENV)
    assert pdf.with_name(pdf.name + ".minisig").is_file()
    pub = tmp_path / "agency.pub"
    pub.write_text(_cli(ws, "key", "export", "--minisign"))
    checked = run_cli("report", "--check", str(pdf), "--trust", str(pub))
    assert checked.returncode == 0, checked.stderr

    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"Exhibit {exhibit}" in text
    assert original_sha256 in text and original_md5 in text
    assert made["sha256"] in text  # the redacted copy is the image shown
    assert stamps[0]["gen_time"] in text  # the trusted time covering the capture
    # What the redaction hides is not disclosed by the text beside the image either.
    assert "Call [redacted]" in text
    assert "900123" not in text.replace(" ", ""), "the redacted number is in the report"
    assert run_cli("verify", workspace=ws, env=CLI_ENV).returncode == 0
