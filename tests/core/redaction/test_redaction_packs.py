"""A pack item sent as its redacted copy: the manifest records it, the evidence member is
the copy's bytes, the words and indicators read inside the boxes stay out, the choice is
stored and audited; originals by default; a capture without a copy is refused."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.core.packs import support as support
from tests.core.packs.support import CLI_ENV, PASS_ENV, PASSPHRASE, Template, copy_ws, open_ws
from workstation.crypto.age import decrypt_file
from workstation.packs.format.spec import PackError
from workstation.redaction.model import Box
from workstation.redaction.service import copy_file
from workstation.workspace import Workspace

template = support.template  # fixture

PHONE_WORDS = [("Call", (10, 20, 60, 20)), ("+44", (80, 20, 40, 20)),
               ("7700", (125, 20, 50, 20)), ("900123", (180, 20, 80, 20)),
               ("today", (10, 60, 60, 20))]


@dataclass(frozen=True)
class _Run:
    """An OCR result with word boxes, as the engine hands it over."""

    words: list[tuple[str, tuple[int, int, int, int]]] = field(
        default_factory=lambda: list(PHONE_WORDS))

    def to_dict(self) -> dict[str, Any]:
        words = [{"text": t, "bbox": list(b), "confidence": 95.0, "block": 1, "paragraph": 1,
                  "line": 1 if b[1] == 20 else 2} for t, b in self.words]
        return {"text": "Call +44 7700 900123\ntoday", "languages": ["eng"], "words": words,
                "engine": "tesseract", "engine_version": "test", "mean_confidence": 95.0,
                "duration_s": 0.1, "parameters": {}, "advert_languages": ["eng"],
                "coverage": 1.0, "unread": []}


@pytest.fixture
def ws(template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    with open_ws(copy_ws(template, tmp_path / "ws")) as opened:
        yield opened


def _manifest(ws: Workspace, pack_file: str | None, template: Template,
              tmp_path: Path) -> tuple[dict[str, Any], zipfile.ZipFile]:
    assert pack_file is not None
    plain = tmp_path / "pack.zip"
    decrypt_file(pack_file, plain, template.age_key)
    archive = zipfile.ZipFile(plain)
    return json.loads(archive.read("manifest.json")), archive


def test_an_item_goes_as_its_redacted_copy_when_chosen(
        ws: Workspace, template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    ws.reading._store_ocr(b, _Run())
    redaction = ws.redactions.redact(b, [Box(75, 15, 190, 30, "third-party phone number")])
    original_b = ws.captures.get(b)
    pack = ws.packs.build(template.tiktok_age, [a, b], reason="crossings", redacted=[b])
    manifest, archive = _manifest(ws, pack.file, template, tmp_path)
    items = {i["capture_id"]: i for i in manifest["items"]}
    assert "redacted" not in items[a]
    assert items[a]["files"][0]["role"] == "original"
    assert items[a]["files"][0]["sha256"] == ws.captures.get(a).sha256
    item = items[b]
    assert item["redacted"] == {"sha256": redaction.sha256,
                                "original_sha256": original_b.sha256,
                                "log_sha256": redaction.log_sha256,
                                "redaction_id": redaction.id}
    evidence = item["files"][0]
    assert evidence["role"] == "redacted" and evidence["path"].endswith(".png")
    data = archive.read(evidence["path"])
    assert data == copy_file(ws.ctx, redaction.sha256).read_bytes()
    assert hashlib.sha256(data).hexdigest() == evidence["sha256"] == redaction.sha256
    assert evidence["md5"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
    # what OCR read inside the box is not sent: the words, the phone indicator
    ocr_text = archive.read(item["files"][1]["path"]).decode("utf-8")
    assert "900123" not in ocr_text and "7700" not in ocr_text
    assert "Call" in ocr_text and "today" in ocr_text and "[redacted]" in ocr_text
    sent = [i["normalized"] for i in (*item["indicators"], *item["unconfirmed"])]
    assert not any("900123" in value for value in sent)
    # the original's bytes are nowhere in the pack
    original_bytes = ws.store.read_verified(original_b.sha256)
    assert all(archive.read(n) != original_bytes for n in archive.namelist())
    # stored and audited
    row = ws.conn.execute("SELECT redaction_id FROM pack_items pi JOIN packs p ON "
                          "p.id = pi.pack_id WHERE p.ref = ? AND capture_id = ?",
                          (pack.ref, b)).fetchone()
    assert row["redaction_id"] == redaction.id
    create = [e for e in ws.audit_entries() if e.action == "pack.create"][-1]
    assert create.details["redacted"] == {str(b): redaction.id}
    assert ws.verify().problems == []


def test_originals_by_default_and_a_capture_without_a_copy_is_refused(
        ws: Workspace, template: Template) -> None:
    a, b, c = template.captures
    with pytest.raises(PackError, match="has no redacted copy"):
        ws.packs.build(template.tiktok_age, [a, b], reason="x", redacted=[a])
    ws.redactions.redact(c, [Box(1, 1, 5, 5, "x")])
    with pytest.raises(PackError, match="not in the pack"):
        ws.packs.build(template.tiktok_age, [a, b], reason="x", redacted=[c])
    assert ws.packs.all() == [] or all(p.state != "sealed" for p in ws.packs.all())


def test_pack_build_redacted_on_the_command_line(template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    ws_dir = copy_ws(template, tmp_path / "ws")
    made = run_cli("redact", str(a), "--box", "0,0,50,50", "--reason", "third-party face",
                   workspace=ws_dir, env=CLI_ENV, check=True)
    rid = int(made.stdout)
    missing = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                      f"{a},{b}", "--reason", "x", "--redacted", str(b), "-o",
                      str(tmp_path / "no.age"), "--passphrase-env", PASS_ENV,
                      workspace=ws_dir, env=CLI_ENV)
    assert missing.returncode == 1 and "has no redacted copy" in missing.stderr
    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    f"{a},{b}", "--reason", "x", "--redacted", str(a), "-o",
                    str(tmp_path / "p.age"), "--passphrase-env", PASS_ENV, "--json",
                    workspace=ws_dir, env=CLI_ENV)
    assert built.returncode == 0, built.stderr
    manifest, _archive = _manifest_of(json.loads(built.stdout)["file"], template, tmp_path)
    items = {i["capture_id"]: i for i in manifest["items"]}
    assert items[a]["redacted"]["redaction_id"] == rid and "redacted" not in items[b]


def _manifest_of(pack_file: str, template: Template,
                 tmp_path: Path) -> tuple[dict[str, Any], zipfile.ZipFile]:
    plain = tmp_path / "cli-pack.zip"
    decrypt_file(pack_file, plain, template.age_key)
    archive = zipfile.ZipFile(plain)
    return json.loads(archive.read("manifest.json")), archive
