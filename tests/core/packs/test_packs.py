"""Alert packs: content (manifest, report, STIX, CSV), the recipient's standard-tools path,
SSH recipients, earlier-pack references, and refusals."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.core.packs import support as support
from tests.core.packs.support import (
    ARABIC_TEXT,
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    Template,
    copy_ws,
    open_ws,
    tool,
)
from workstation.crypto.age import decrypt_file
from workstation.crypto.recipients import parse_recipient
from workstation.errors import NotFound
from workstation.packs.format.opening import open_pack
from workstation.packs.format.report import _item_html
from workstation.packs.format.safezip import EvidenceChanged
from workstation.packs.format.spec import PackItem, PackRecipient, PackSpec, compact_fingerprint
from workstation.packs.models import AgencyKeyError
from workstation.workspace import Workspace

sealed = support.sealed  # fixture
template = support.template  # fixture


def _zip(sealed: Sealed, tmp_path: Path) -> zipfile.ZipFile:
    plain = tmp_path / "pack.zip"
    decrypt_file(sealed.file, plain, sealed.template.age_key)
    return zipfile.ZipFile(plain)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_recipient_opens_the_pack_with_the_standard_tools(sealed: Sealed, tmp_path: Path) -> None:
    """age -d, unzip, minisign -V, sha256sum -c: exactly what the README tells a platform."""
    age, minisign, sha256sum = tool("age"), tool("minisign"), tool("sha256sum")
    work = tmp_path / "recipient"
    work.mkdir()
    with open(work / "pack.zip", "wb") as out:
        subprocess.run([age, "-d", "-i", str(sealed.template.age_key), str(sealed.file)],
                       stdout=out, check=True)
    folder = work / sealed.ref
    unzip = shutil.which("unzip")
    if unzip:
        subprocess.run([unzip, "-q", str(work / "pack.zip"), "-d", str(folder)], check=True)
    else:
        subprocess.run([sys.executable, "-m", "zipfile", "-e", str(work / "pack.zip"),
                        str(folder)], check=True)
    verified = subprocess.run([minisign, "-V", "-p", str(sealed.agency_pub), "-m", "SHA256SUMS"],
                              cwd=folder, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert "Signature and comment signature verified" in verified.stdout
    assert f"alertpack:{sealed.ref}" in verified.stdout
    fingerprint = compact_fingerprint(parse_recipient(sealed.template.age_recipient).fingerprint)
    assert f"to:{fingerprint}" in verified.stdout
    checked = subprocess.run([sha256sum, "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines()}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert listed == on_disk - {"SHA256SUMS", "SHA256SUMS.minisig"}
    assert {"manifest.json", "README.txt", "report.html", "stix.json", "indicators.csv",
            "evidence/001-capture-1.png", "evidence/002-capture-2.jpg",
            "ocr/001-capture-1.txt"} <= listed
    readme = (folder / "README.txt").read_text()
    assert f"age -d -i key.txt {sealed.ref}.alertpack.age > pack.zip" in readme
    assert "minisign -V -p agency.pub -m SHA256SUMS" in readme
    assert "sha256sum -c SHA256SUMS" in readme


def test_manifest_describes_every_item(sealed: Sealed, tmp_path: Path) -> None:
    zf = _zip(sealed, tmp_path)
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format"] == "alertpack" and manifest["format_version"] == 2
    assert manifest["pack_ref"] == sealed.ref and re.fullmatch(r"NCA-AP-\d{4}-\d{6}", sealed.ref)
    assert manifest["handling"] == "OFFICIAL-SENSITIVE"
    issuer = manifest["issuer"]
    assert issuer["analyst"] == "Test Analyst" and issuer["unit"] and issuer["agency"]
    assert issuer["contact_24x7"]["phone"]
    recipient = manifest["recipient"]
    assert recipient["platform"] == "tiktok"
    assert [k["role"] for k in recipient["keys"]] == ["contact", "archive"]
    assert manifest["basis"]["id"] == "tiktok-human-exploitation"
    assert manifest["basis"]["title"] == "Human Exploitation" and manifest["basis"]["url"]
    assert manifest["priority"] == "urgent"
    assert manifest["reason"] == "Adverts for Channel crossings"
    action = manifest["requested_action"]
    assert action["action"] == "remove" and action["preserve_data_days"] == 90
    assert _parse(action["deadline_utc"]) - _parse(manifest["created_utc"]) == timedelta(hours=24)
    assert manifest["outcome_reporting"]["outcomes"] == [
        "removed", "restricted", "no_violation", "already_gone", "pending"]
    a, b = manifest["items"]
    assert (a["capture_id"], b["capture_id"]) == sealed.template.captures[:2]
    assert a["url"] == "https://www.tiktok.com/@boats_uk/video/7301"
    assert a["platform_content_id"] == "7301" and a["content_type"] == "video"
    assert a["account"] == {"handle": "boats_uk", "profile_url": "https://www.tiktok.com/@boats_uk",
                            "account_id": None}
    # The advert's language, not the models it was read with.
    assert a["languages"] == ["ara"] and a["ocr"]["models"] == ["ara", "eng"]
    assert a["policy"] == "tiktok-human-exploitation"
    assert a["observed_utc"].endswith("Z")
    assert a["pdq"]["hash"] and len(a["pdq"]["hash"]) == 64
    # The number typed in the notes is confirmed; the one only OCR read is listed apart,
    # marked unconfirmed, until the analyst confirms it.
    phones = {i["normalized"] for i in a["indicators"] if i["kind"] in ("phone", "whatsapp")}
    assert "+447700900123" in phones and "+447700900456" not in phones
    pending = [i for i in a["unconfirmed"] if i["normalized"] == "+447700900456"]
    assert pending and all(i["status"] == "unconfirmed" and i["source"] == "ocr"
                           for i in pending)
    with Workspace.open(sealed.ws, readonly=True) as ws:
        for item in (a, b):
            capture = ws.captures.get(item["capture_id"])
            original = ws.store.path_for(capture.sha256).read_bytes()
            evidence = next(f for f in item["files"] if f["role"] == "original")
            assert zf.read(evidence["path"]) == original  # byte-exact
            assert evidence["sha256"] == capture.sha256 == hashlib.sha256(original).hexdigest()
            assert evidence["md5"] == capture.md5 == hashlib.md5(original).hexdigest()
    ocr = next(f for f in a["files"] if f["role"] == "ocr-text")
    assert zf.read(ocr["path"]).decode() == ARABIC_TEXT + "\n"
    assert b["ocr"] is None and b["languages"] == []


def test_report_is_one_self_contained_escaped_page(sealed: Sealed, tmp_path: Path) -> None:
    page = _zip(sealed, tmp_path).read("report.html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<meta charset=\"utf-8\">" in page
    assert "default-src 'none'" in page  # the CSP forbids loading anything
    assert "<script" not in page.lower() and "<link" not in page.lower()
    sources = re.findall(r"\bsrc=\"([^\"]*)\"", page)
    assert len(sources) == 2 and all(s.startswith("data:image/jpeg;base64,") for s in sources)
    assert not re.search(r"url\(", page)
    assert "Trust &amp; Safety &lt;Escalations&gt;" in page
    assert "OFFICIAL-SENSITIVE" in page and sealed.ref in page
    block = re.search(r"<div class=\"ocr\" dir=\"(\w+)\" lang=\"(\w+)\">(.*?)</div>", page, re.S)
    assert block is not None and block.group(1) == "rtl" and block.group(2) == "ar"
    assert "<p dir=\"auto\">رحلة آمنة إلى بريطانيا</p>" in block.group(3)


def test_report_never_links_unsafe_urls(tmp_path: Path) -> None:
    recipient = PackRecipient("age1x", "x25519", "f", "contact")
    spec = PackSpec("NCA-AP-2026-000009", "2026-01-01T00:00:00Z", "NCA", "OIC", "A", {},
                    "other", "Op", {"name": "x"}, [recipient], {}, "OFFICIAL-SENSITIVE",
                    "normal", "remove", "", 90, "2026-01-04T00:00:00Z", "K", "0")
    item = PackItem(1, 7, tmp_path / "x", "0" * 64, "0" * 32, 1, "png", 1, 1,
                    "2026-01-01T00:00:00Z", "analyst", "p",
                    source_url="javascript:alert(document.domain)",
                    handle="\"><img src=x onerror=alert(1)>", ocr_text="<b>hi</b>")
    html = _item_html(spec, item, None)
    assert "href=\"javascript" not in html and "<img src=x" not in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html


def test_full_previews_fit_the_report(tmp_path: Path) -> None:
    from PIL import Image

    from tests.imagegen import make_image, make_screenshot
    from workstation.packs.format.members import make_preview

    for name, data in (("shot.png", make_screenshot(seed=5)),
                       ("photo.jpg", make_image(2400, 1800, fmt="JPEG", seed=6)),
                       ("anim.gif", make_image(200, 300, fmt="GIF", seed=7))):
        path = tmp_path / name
        path.write_bytes(data)
        preview = make_preview(path)
        assert preview is not None
        with Image.open(io.BytesIO(preview)) as image:
            assert image.format == "JPEG" and image.width <= 720 and image.height <= 1600
            assert max(image.size) >= 300


def test_stix_bundle_parses_back_with_stix2(sealed: Sealed, tmp_path: Path) -> None:
    import stix2

    bundle = stix2.parse(_zip(sealed, tmp_path).read("stix.json").decode(), allow_custom=False)
    by_type: dict[str, list[object]] = {}
    for obj in bundle.objects:
        by_type.setdefault(obj.type, []).append(obj)
    assert {"report", "indicator", "observed-data", "file", "url", "user-account", "identity",
            "marking-definition", "relationship"} <= set(by_type)
    (report,) = by_type["report"]
    ids = {o.id for o in bundle.objects}
    assert set(report.object_refs) <= ids and sealed.ref in report.name
    patterns = " ".join(i.pattern for i in by_type["indicator"])
    assert "+447700900123" in patterns and "file:hashes.'SHA-256'" in patterns
    assert "user-account:account_login = 'boats_uk'" in patterns
    files = by_type["file"]
    with Workspace.open(sealed.ws, readonly=True) as ws:
        hashes = {ws.captures.get(c).sha256 for c in sealed.template.captures[:2]}
    assert {f.hashes["SHA-256"] for f in files} == hashes  # type: ignore[attr-defined]


def check_stix_document(text: str) -> int:
    """Every object of ``stix.json``, read back and written again by the OASIS stix2
    library, is unchanged (stix.json is written directly: building stix2 objects was
    a third of a seal), and each observable's deterministic id is the one stix2
    gives the same properties.  Returns how many observables there were."""
    import stix2

    document = json.loads(text)
    assert document["type"] == "bundle" and document["id"].startswith("bundle--")
    observables = 0
    for obj in document["objects"]:
        parsed = stix2.parse(obj, allow_custom=False)
        assert json.loads(parsed.serialize()) == obj
        if obj["type"] in ("file", "url", "user-account"):
            observables += 1
            fresh = type(parsed)(**{k: v for k, v in obj.items() if k != "id"})
            assert fresh.id == obj["id"]
        if "modified" in obj:
            assert obj["created"].endswith("Z") and len(obj["created"]) == 24  # ms, UTC
    return observables


def test_stix_objects_are_as_the_oasis_library_writes_them(sealed: Sealed,
                                                           tmp_path: Path) -> None:
    assert check_stix_document(_zip(sealed, tmp_path).read("stix.json").decode()) >= 5


def test_indicators_csv_and_outcome_template(sealed: Sealed, tmp_path: Path) -> None:
    zf = _zip(sealed, tmp_path)
    rows = list(csv.DictReader(io.StringIO(zf.read("indicators.csv").decode())))
    assert {"pack_ref", "capture_id", "kind", "value", "normalized", "source",
            "prior_packs"} <= set(rows[0])
    assert any(r["normalized"] == "+447700900123" for r in rows)
    template_rows = list(csv.DictReader(io.StringIO(zf.read("outcome-template.csv").decode())))
    assert [(r["pack_ref"], r["outcome"]) for r in template_rows] == [(sealed.ref, "pending")] * 2


def test_later_packs_cite_earlier_ones_ssh_recipients_and_audit(
    template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    with open_ws(ws_dir) as ws:
        first = ws.packs.build(template.tiktok_age, [a])
        second = ws.packs.build(template.tiktok_ssh, [b], output=tmp_path / "second.age",
                               action="preserve")
        assert int(second.ref[-6:]) == int(first.ref[-6:]) + 1
        assert first.state == second.state == "sealed"
        actions = [e.action for e in ws.audit_entries()]
        assert actions.count("pack.create") == 2 and actions.count("pack.seal") == 2
        seal_entry = [e for e in ws.audit_entries() if e.action == "pack.seal"][-1]
        assert seal_entry.details["sha256"] == second.file_sha256
        assert ws.verify().ok
    # The SSH contact opens it with the age CLI and their SSH key ...
    plain = tmp_path / "second.zip"
    with open(plain, "wb") as out:
        subprocess.run([tool("age"), "-d", "-i", str(template.ssh_key), str(tmp_path /
                        "second.age")], stdout=out, check=True)
    manifest = json.loads(zipfile.ZipFile(plain).read("manifest.json"))
    assert manifest["requested_action"]["action"] == "preserve"
    assert manifest["recipient"]["keys"][0]["kind"] == "ssh-ed25519"
    # ... and the shared phone number points back to the first pack.
    (item,) = manifest["items"]
    phone = next(i for i in item["indicators"] if i["normalized"] == "+447700900123")
    assert phone["prior_packs"] == [first.ref] and item["prior_packs"] == [first.ref]
    # `pack open` accepts the SSH private key as identity.
    pub = tmp_path / "agency.pub"
    with Workspace.open(ws_dir, readonly=True) as ws:
        pub.write_text(ws.keys.export_public_key())
    result = open_pack(tmp_path / "second.age", template.ssh_key, pub)
    assert result.valid, result.to_dict()


def test_build_refusals_leave_nothing_behind(
    template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workstation.packs.format.spec import PackError

    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, _b, c = template.captures
    with open_ws(ws_dir) as ws:
        with pytest.raises(PackError, match=r"is from facebook but contact .* is for tiktok"):
            ws.packs.build(template.tiktok_age, [a, c])
        with pytest.raises(NotFound, match="no capture #999"):
            ws.packs.build(template.tiktok_age, [999])
        with pytest.raises(NotFound, match="no contact #42"):
            ws.packs.build(42, [a])
        existing = tmp_path / "exists.age"
        existing.write_text("x")
        with pytest.raises(PackError, match="already exists"):
            ws.packs.build(template.tiktok_age, [a], output=existing)
        with pytest.raises(PackError, match="no policy 'nope'"):
            ws.packs.build(template.tiktok_age, [a], basis="nope")
        assert ws.packs.all() == []
        # Evidence changed on disk since capture: the pack is refused, no file is left.
        evidence = ws.store.path_for(ws.captures.get(a).sha256)
        evidence.chmod(0o644)
        data = bytearray(evidence.read_bytes())
        data[len(data) // 2] ^= 0x01
        evidence.write_bytes(bytes(data))
        out = tmp_path / "changed.age"
        with pytest.raises(EvidenceChanged, match="has changed since it was captured"):
            ws.packs.build(template.tiktok_age, [a], output=out)
        assert not out.exists()
        assert [p.name for p in (ws_dir / "outbox").iterdir()] == []
        (draft,) = ws.packs.all()
        assert draft.state == "draft" and "changed" in (draft.last_error or "")
    with Workspace.open(tmp_path / "fresh") as fresh:
        fresh.keys.use_secrets(passphrase_env=PASS_ENV, backend="file")
        with pytest.raises(AgencyKeyError, match="key init"):
            fresh.keys.export_public_key()


@pytest.mark.parametrize("written", ["2026-12-06T02:18:27.790Z", "2026-12-06T02:18:27Z",
                                     "2026-12-06T02:18:27.000100+00:00",
                                     "2026-12-06T03:18:27.5+01:00", "2026-12-06T02:18:27.123456"])
def test_stix_timestamps_are_written_as_stix2_writes_them(written: str) -> None:
    """Any precision the observed time has: stix2 keeps it and drops trailing zeros."""
    import stix2

    from workstation.packs.format.stix import _timestamp

    ours = _timestamp(written)
    data = {"type": "observed-data", "spec_version": "2.1",
            "id": "observed-data--3ba5ffb4-c4b5-4a8e-9c8f-6d6b0c0e1d2a",
            "created": "2026-12-06T02:18:27.000Z", "modified": "2026-12-06T02:18:27.000Z",
            "first_observed": ours, "last_observed": ours, "number_observed": 1,
            "object_refs": ["url--3ba5ffb4-c4b5-4a8e-9c8f-6d6b0c0e1d2b"]}
    assert json.loads(stix2.parse(data).serialize())["first_observed"] == ours
    assert ours.endswith("Z") and ours.startswith("2026-12-06T02:18:27")
