"""The case report read back with independent tools (poppler's pdftotext, qpdf,
minisign): every hash, exhibit reference and the Arabic, Persian, Pashto and Tigrinya
OCR lines as text; the PDF/A-3b identification and output intent; the embedded
manifest.json and audit.jsonl; the signature; the HTML variant; cancel and verify."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool, run_cli
from tests.core.packs import support
from tests.core.packs.support import (
    ARABIC_TEXT,
    CLI_ENV,
    PASS_ENV,
    PASSPHRASE,
    FakeOcr,
    Template,
    copy_ws,
    open_ws,
)
from tests.tsa import LoopbackTSA, make_pki
from workstation.errors import Cancelled, WorkstationError
from workstation.progress import CancelToken, Progress
from workstation.redaction.model import Box
from workstation.storage.audit import canonical_json, entry_hash

template = support.template  # fixture

PERSIAN = "سفر به انگلستان با قایق"
PASHTO = "د انګلستان ته سفر"
TIGRINYA = "ናብ እንግሊዝ ጉዕዞ"
ARABIC_LINE = ARABIC_TEXT.splitlines()[0]


@dataclass(frozen=True)
class Made:
    ws: Path
    pdf: Path
    html: Path
    pub: Path
    captures: list[dict[str, Any]]
    redacted_sha256: str
    pack_ref: str
    stamp_time: str
    result: Any
    entries: list[Any]


def _build(template: Template, base: Path) -> Made:
    ws_dir = copy_ws(template, base / "ws")
    a, b, c = template.captures
    pki = make_pki(base / "pki")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, PASSPHRASE)
        mp.setenv("WORKSTATION_ANALYST", "Test Analyst")
        with open_ws(ws_dir) as ws, LoopbackTSA(pki) as tsa:
            ws.exhibits.assign(a, "TA/1")
            ws.reading._store_ocr(c, FakeOcr(f"{PERSIAN}\n{PASHTO}\n{TIGRINYA}",
                                              ("fas", "pus", "tir")))
            redaction = ws.redactions.redact(b, [Box(10, 10, 60, 40, "phone", "manual")],
                                             reason="third-party number")
            ws.timestamps.add_authority(tsa.url, pki.ca_pem.read_text())
            token = ws.timestamps.queue_audit_head()
            assert ws.timestamps.send().stamped == [token]
            stamp_time = ws.timestamps.get(token).gen_time
            pack = ws.packs.build(template.tiktok_age, [a, b], reason="Adverts",
                                  output=base / "p.alertpack.age")
            result = ws.report.build("op-sea", base / "report.pdf")
            ws.report.build("op-sea", base / "report.html", "html")
            pub = base / "agency.pub"
            pub.write_text(ws.keys.export_public_key())
            captures = [{"id": x.id, "sha256": x.sha256, "md5": x.md5}
                        for x in ws.captures.all(case="op-sea")]
            entries = ws.audit.entries()
    return Made(ws_dir, base / "report.pdf", base / "report.html", pub, captures,
                redaction.sha256, pack.ref, str(stamp_time), result, entries)


_MADE: dict[str, Made] = {}


@pytest.fixture(scope="module")
def made(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Made:
    require_tool("openssl")
    if "made" not in _MADE:
        _MADE["made"] = _build(template, tmp_path_factory.mktemp("report"))
    return _MADE["made"]


def _text(pdf: Path) -> str:
    tool = require_tool("pdftotext")
    return subprocess.run([tool, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _qpdf(*args: str) -> str:
    tool = require_tool("qpdf")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def test_every_hash_reference_and_script_is_text(made: Made) -> None:
    text = _text(made.pdf)
    for capture in made.captures:
        assert capture["sha256"] in text and capture["md5"] in text
        assert f"capture #{capture['id']}" in text
    assert "Exhibit TA/1" in text
    assert made.redacted_sha256 in text  # the redacted copy is what is shown for B
    for line in (ARABIC_LINE, PERSIAN, PASHTO, TIGRINYA):
        assert line in text, line
    assert made.pack_ref in text
    assert made.stamp_time in text  # the audit-head token covering the captures
    assert "Test Police Service" in text and "OFFICIAL-SENSITIVE" in text
    assert "Integrity check at generation: OK" in text
    assert "pack.create" in text  # the case's audit trail


def test_pdfa_identification_output_intent_and_pages(made: Made, tmp_path: Path) -> None:
    raw = made.pdf.read_bytes()
    assert b"<pdfaid:part>3</pdfaid:part>" in raw
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in raw
    qdf = tmp_path / "qdf.pdf"
    _qpdf("--qdf", "--object-streams=disable", str(made.pdf), str(qdf))
    plain = qdf.read_bytes()
    assert b"/OutputIntents" in plain and b"/GTS_PDFA1" in plain
    assert b"/AFRelationship /Data" in plain and b"/AFRelationship /Source" in plain
    pages = int(_qpdf("--show-npages", str(made.pdf)).strip())
    assert pages >= 1 + len(made.captures) + 1
    info = subprocess.run([require_tool("pdfinfo"), str(made.pdf)], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(rf"^Pages:\s+{pages}$", info, re.M)


def test_attachments_are_what_was_embedded(made: Made) -> None:
    listed = _qpdf("--list-attachments", str(made.pdf))
    assert "manifest.json" in listed and "audit.jsonl" in listed
    manifest = json.loads(_qpdf("--show-attachment=manifest.json", str(made.pdf)))
    shown = {e["capture_id"]: e for e in manifest["exhibits"]}
    assert {c["id"]: c["sha256"] for c in made.captures} == \
        {cid: e["sha256"] for cid, e in shown.items()}
    redacted = [e for e in shown.values() if e["redaction"]]
    assert len(redacted) == 1 and redacted[0]["shown_sha256"] == made.redacted_sha256
    assert redacted[0]["redaction"]["boxes"][0]["reason"] == "phone"
    assert any(t["gen_time"] == made.stamp_time for e in shown.values()
               for t in e["timestamps"])
    assert manifest["report"]["verify_ok"] is True
    lines = _qpdf("--show-attachment=audit.jsonl", str(made.pdf)).splitlines()
    entries = [json.loads(line) for line in lines]
    by_seq = {e.seq: e for e in made.entries}
    assert entries and all(e["hash"] == by_seq[e["seq"]].hash for e in entries)
    for e in entries:  # each entry's hash is checkable from the attachment alone
        assert entry_hash(e["seq"], e["at"], e["analyst"], e["action"], e["subject"],
                          canonical_json(e["details"]), e["prev_hash"]) == e["hash"]


def test_signature_checks_and_a_changed_report_fails(made: Made, tmp_path: Path) -> None:
    good = run_cli("report", "--check", str(made.pdf), "--trust", str(made.pub))
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("VALID") and len(good.stdout.splitlines()) == 1
    done = subprocess.run([require_tool("minisign"), "-Vm", str(made.pdf), "-p",
                           str(made.pub)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    changed = tmp_path / "changed.pdf"
    data = bytearray(made.pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    (tmp_path / "changed.pdf.minisig").write_bytes(
        made.pdf.with_name("report.pdf.minisig").read_bytes())
    bad = run_cli("report", "--check", str(changed), "--trust", str(made.pub))
    assert bad.returncode == 1 and bad.stdout.startswith("INVALID")


def test_html_report_same_content_escaped_and_signed(made: Made) -> None:
    page = made.html.read_text("utf-8")
    for capture in made.captures:
        assert capture["sha256"] in page and capture["md5"] in page
    assert ARABIC_LINE in page and TIGRINYA in page and "TA/1" in page
    assert "data:image/jpeg;base64," in page
    assert "<script>alert" not in page  # capture B's notes hold a script tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'src="http' not in page and "<link" not in page
    start = page.index('<script type="application/json" id="manifest">') + 46
    manifest = json.loads(page[start:page.index("</script>", start)])
    assert len(manifest["exhibits"]) == len(made.captures)
    checked = run_cli("report", "--check", str(made.html), "--trust", str(made.pub))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_report_is_audited_and_queued_for_a_timestamp(made: Made, monkeypatch:
                                                      pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    with open_ws(made.ws) as ws:
        created = [e for e in ws.audit.entries() if e.action == "report.create"]
        assert created[0].subject == f"case:{ws.cases.get('op-sea').id}"
        assert created[0].details["sha256"] == made.result.sha256
        assert created[0].details["format"] == "pdf"
        assert created[0].details["exhibits"] == len(made.captures)
        queued = ws.timestamps.for_subject(f"report:{made.result.sha256}")
        assert [q.digest for q in queued] == [made.result.sha256]


def test_cancel_leaves_nothing_and_existing_file_is_refused(
        made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws_dir(made.ws, tmp_path / "ws")
    out = tmp_path / "out"
    out.mkdir()
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.message.startswith("exhibit"):
            token.cancel()

    with open_ws(ws_dir) as ws:
        with pytest.raises(Cancelled):
            ws.report.build("op-sea", out / "r.pdf", progress=progress, cancel=token)
        assert list(out.iterdir()) == []
        (out / "r.pdf").write_bytes(b"x")
        with pytest.raises(WorkstationError, match="already exists"):
            ws.report.build("op-sea", out / "r.pdf")
        assert (out / "r.pdf").read_bytes() == b"x"


def copy_ws_dir(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest)
    return dest


def test_failed_verify_is_stated_and_the_cli_warns(made: Made, tmp_path: Path) -> None:
    ws_dir = copy_ws_dir(made.ws, tmp_path / "ws")
    victim = next(p for p in (ws_dir / "evidence").rglob("*")
                  if p.is_file() and p.name == made.captures[-1]["sha256"])
    victim.chmod(0o600)
    victim.write_bytes(victim.read_bytes() + b"tampered")
    out = tmp_path / "r.pdf"
    done = run_cli("report", "op-sea", "-o", str(out), "--passphrase-env", PASS_ENV,
                   workspace=ws_dir, env=CLI_ENV)
    assert done.returncode == 0, done.stderr
    assert "warning: verify found problems" in done.stderr
    text = _text(out)
    assert "THE INTEGRITY CHECK FAILED" in text
    assert "Image not shown" in text  # the altered original is never drawn
