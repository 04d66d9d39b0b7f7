"""``workstation redact`` and ``workstation redactions`` in a subprocess, on a real
workspace: the new copy's id printed, boxes added to the current log, history listed,
suggestions listed without applying, bad boxes refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.core.redaction.support import png, text_advert


def test_redact_redactions_and_suggest(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    image = tmp_path / "advert.png"
    image.write_bytes(png(text_advert()))
    run_cli("import", str(image), workspace=ws, check=True)

    first = run_cli("redact", "1", "--box", "30,130,400,50", "--reason", "third-party phone number",
                    workspace=ws, check=True)
    assert first.stdout.strip() == "1"
    assert "original" in first.stderr and "unchanged" in first.stderr

    second = run_cli("redact", "1", "--box", "30,230,500,50:third-party e-mail",
                     "--box", "600,20,50,50", "--reason", "other", "--json",
                     workspace=ws, check=True)
    made = json.loads(second.stdout)
    assert made["id"] == 2
    assert [(b["y"], b["reason"]) for b in made["boxes"]] == [
        (130, "third-party phone number"), (230, "third-party e-mail"), (20, "other")]

    listed = run_cli("redactions", "1", "--json", workspace=ws, check=True)
    history = json.loads(listed.stdout)
    assert [h["id"] for h in history] == [1, 2]
    assert history[1]["sha256"] == made["sha256"] and history[1]["boxes"] == made["boxes"]
    text = run_cli("redactions", "1", workspace=ws, check=True).stdout
    assert "(current)" in text and "third-party e-mail" in text and made["sha256"] in text

    suggested = run_cli("redact", "1", "--suggest", "--json", workspace=ws, check=True)
    data = json.loads(suggested.stdout)
    assert set(data) == {"suggestions", "notes"}
    assert any("OCR" in n for n in data["notes"])
    assert len(json.loads(run_cli("redactions", "1", "--json", workspace=ws,
                                  check=True).stdout)) == 2  # nothing applied

    assert run_cli("verify", workspace=ws).returncode == 0


def test_bad_boxes_and_missing_reason_are_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    image = tmp_path / "advert.png"
    image.write_bytes(png(text_advert()))
    run_cli("import", str(image), workspace=ws, check=True)
    usage = run_cli("redact", "1", "--box", "1,2,3", "--reason", "x", workspace=ws)
    assert usage.returncode == 2 and "is not a box X,Y,W,H" in usage.stderr
    for args, message in ((["--box", "5,5,0,10", "--reason", "x"], "has no size"),
                          (["--box", "2000,5,10,10", "--reason", "x"], "outside the image"),
                          (["--box", "5,5,10,10"], "reason"),
                          (["--reason", "x"], "at least one --box")):
        result = run_cli("redact", "1", *args, workspace=ws)
        assert result.returncode == 1, result
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    missing = run_cli("redactions", "9", workspace=ws)
    assert missing.returncode == 1 and "no capture #9" in missing.stderr
