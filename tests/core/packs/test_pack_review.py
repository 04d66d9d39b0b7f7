"""What reaches the platform: only indicators the analyst confirmed go out as indicators
(in the manifest, STIX and the CSV); those still *found* are listed apart, marked
unconfirmed; rejected ones are nowhere.  A handle is labelled with the platform its text
names, and an item's languages are the advert's, not the OCR models tried.

Real packs built through the façade, opened with the recipient's key; the OCR text goes
through the real indicator extraction and the real review service."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.core.packs import support as support
from tests.core.packs.support import (
    PASS_ENV,
    PASSPHRASE,
    FakeOcr,
    Template,
    copy_ws,
    open_ws,
)
from tests.imagegen import make_image
from workstation.crypto.age import decrypt_file
from workstation.models import CaptureMeta
from workstation.packs.format.opening import open_pack
from workstation.workspace import Workspace

template = support.template  # fixture

#: A Facebook post naming the smugglers' Instagram account (the analyst confirms it),
#: a Telegram account (left found), a WhatsApp number (also typed in the notes) and a
#: phone number the OCR misread (the analyst rejects it).
FACEBOOK_TEXT = ("Safe trips to the UK every week\n"
                 "Instagram: @mohajer.travel\n"
                 "Telegram: @mohajer_boats\n"
                 "WhatsApp +44 7700 900777\n"
                 "Call +44 7700 900888\n")
#: A Pashto advert (boat to England, WhatsApp, price in pounds), read with the Arabic model.
PASHTO_TEXT = "بېړۍ انګلستان ته\nواټساپ +44 7700 900555\nبیه ۳۰۰۰ پونډه"
FRENCH_TEXT = "Passage en Angleterre en bateau\nAppelez +44 7700 900666"


def _members(pack_file: Path, key: Path, tmp_path: Path) -> dict[str, bytes]:
    plain = tmp_path / "pack.zip"
    decrypt_file(pack_file, plain, key)
    with zipfile.ZipFile(plain) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _keys(entries: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(e["kind"], e["normalized"]) for e in entries}


def _section(page: str, start: str, end: str) -> str:
    """The part of ``page`` from ``start`` up to the next ``end`` (or the end)."""
    at = page.index(start)
    stop = page.find(end, at + len(start))
    return page[at:] if stop < 0 else page[at:stop]


@pytest.fixture
def facebook_pack(template: Template, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int, dict[str, set[Any]]]:
    """Capture C (Facebook) read by OCR; the analyst confirms the Instagram handle,
    rejects the misread phone and leaves the WhatsApp number found; sealed to Meta."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    c = template.captures[2]
    out = tmp_path / "fb.alertpack.age"
    with open_ws(ws_dir) as ws:
        ws.reading._store_ocr(c, FakeOcr(FACEBOOK_TEXT, ("eng",), ("eng",)))
        ws.captures.set_notes(c, "Seen again: WhatsApp +44 7700 900777")
        found = {(r.kind, r.normalized) for r in ws.reading.indicators(c) if r.source == "ocr"}
        handle = ("handle", "mohajer.travel")
        misread = next(k for k in found if k[1] == "+447700900888")
        assert handle in found
        ws.review.confirm(c, *handle)
        ws.review.reject(c, *misread)
        status = {(r.kind, r.normalized): r.status for r in ws.reading.indicators(c)}
        expected = {
            "confirmed": {k for k, s in status.items() if s == "confirmed"},
            "found": {k for k, s in status.items() if s == "found"},
            "rejected": {k for k, s in status.items() if s == "rejected"},
        }
        ws.packs.build(template.facebook, [c], output=out)
        seal = [e for e in ws.audit_entries() if e.action == "pack.seal"][-1]
        expected["sealed"] = {("indicators", seal.details["indicators"]),
                              ("unconfirmed", seal.details["unconfirmed"])}
    return out, c, expected


def test_only_confirmed_indicators_go_out_found_ones_are_marked_rejected_are_absent(
        facebook_pack: tuple[Path, int, dict[str, set[Any]]], template: Template,
        tmp_path: Path) -> None:
    out, _c, expected = facebook_pack
    confirmed, found, rejected = expected["confirmed"], expected["found"], expected["rejected"]
    assert ("handle", "mohajer.travel") in confirmed and found and rejected
    # The WhatsApp number typed in the notes is the analyst's own: confirmed, whatever OCR
    # found; the same number read by OCR is not also listed as unconfirmed.
    assert any(k[1] == "+447700900777" for k in confirmed)
    assert not any(k[1] == "+447700900777" for k in found)
    members = _members(out, template.age_key, tmp_path)
    (item,) = json.loads(members["manifest.json"])["items"]

    assert _keys(item["indicators"]) == confirmed
    assert all(i["status"] == "confirmed" for i in item["indicators"])
    assert _keys(item["unconfirmed"]) == found
    assert all(i["status"] == "unconfirmed" and "attention" in i for i in item["unconfirmed"])

    # The seal's audit entry says how many went out as indicators and how many apart.
    assert expected["sealed"] == {("indicators", len(confirmed)), ("unconfirmed", len(found))}

    rows = list(csv.DictReader(io.StringIO(members["indicators.csv"].decode())))
    assert {(r["kind"], r["normalized"]) for r in rows} == confirmed

    stix = members["stix.json"].decode()
    patterns = [o["pattern"] for o in json.loads(stix)["objects"] if o["type"] == "indicator"]
    for _kind, value in found | rejected:
        assert not any(f"'{value}'" in p for p in patterns), value
    for kind, value in confirmed:
        if kind not in ("price", "crypto"):  # those are in the CSV and manifest only
            assert any(f"'{value}'" in p for p in patterns), value

    page = members["report.html"].decode()
    pending = _section(page, "Not yet confirmed by the analyst", "</table>")
    for _kind, value in found:
        assert value in pending
    sent = _section(page, "<th>Earlier packs</th>", "</table>")
    for _kind, value in found:
        assert value not in sent
    # Rejected: in no member but the OCR text itself (which is evidence, as read).
    for _kind, value in rejected:
        assert all(value not in data.decode("utf-8", "replace")
                   for name, data in members.items() if not name.startswith("ocr/"))
    assert "900888" in members["ocr/001-capture-3.txt"].decode()


def test_a_handle_named_as_instagram_in_a_facebook_post_is_an_instagram_account(
        facebook_pack: tuple[Path, int, dict[str, set[Any]]], template: Template,
        tmp_path: Path) -> None:
    out, _c, _expected = facebook_pack
    members = _members(out, template.age_key, tmp_path)
    (item,) = json.loads(members["manifest.json"])["items"]
    handle = next(i for i in item["indicators"] if i["normalized"] == "mohajer.travel")
    assert handle["platform"] == "instagram"
    patterns = [o["pattern"] for o in json.loads(members["stix.json"])["objects"]
                if o["type"] == "indicator"]
    assert ("[user-account:account_type = 'instagram' AND "
            "user-account:account_login = 'mohajer.travel']") in patterns
    assert not any("'facebook'" in p and "mohajer.travel" in p for p in patterns)
    # The account that posted it is still the Facebook one.
    assert any("account_type = 'facebook'" in p and "people.mover" in p for p in patterns)
    page = members["report.html"].decode()
    assert "handle (instagram)" in page


def test_readiness_warns_of_unconfirmed_indicators_until_they_are_confirmed(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    image = tmp_path / "fb.png"
    image.write_bytes(make_image(seed=30))
    with open_ws(ws_dir) as ws:
        # nothing typed (no notes, no URL): every indicator is OCR's
        c = ws.intake.import_file(image, CaptureMeta(platform="facebook")).id
        assert c is not None
        ws.reading._store_ocr(c, FakeOcr("WhatsApp +44 7700 900777\nCall +44 7700 900888",
                                         ("eng",), ("eng",)))
        found = {(r.kind, r.normalized) for r in ws.reading.indicators(c)
                 if r.status == "found"}
        assert len(found) >= 2
        (item,) = ws.packs.readiness([c], template.facebook)
        assert (item.indicators, item.unconfirmed) == (0, len(found))
        assert f"no confirmed indicators ({len(found)} not confirmed)" in item.checks
        assert not item.blocking  # still buildable: they go in marked unconfirmed
        kind, value = sorted(found)[0]
        ws.review.confirm(c, kind, value)
        (item,) = ws.packs.readiness([c], template.facebook)
        assert (item.indicators, item.unconfirmed) == (1, len(found) - 1)
        plural = "indicator" if len(found) == 2 else "indicators"
        assert f"{len(found) - 1} {plural} not confirmed" in item.checks
        for kind, value in sorted(found)[1:]:
            ws.review.reject(c, kind, value)
        (item,) = ws.packs.readiness([c], template.facebook)
        assert (item.indicators, item.unconfirmed) == (1, 0)
        assert not any("confirmed" in check for check in item.checks)


def test_item_languages_are_the_adverts_not_the_models_tried(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    images = tmp_path / "images"
    images.mkdir()
    latin = ("eng", "fra", "tur", "sqi", "vie", "kmr")
    runs = [FakeOcr(PASHTO_TEXT, ("ara",), ("pus",),        # "Arabic" for Pashto
                    coverage=0.75, unread=((0, 120, 540, 60),)),  # a banner left unread
            FakeOcr(FRENCH_TEXT, latin, ("fra",)),           # the whole Latin group
            FakeOcr(FRENCH_TEXT, ("eng", "fra"))]            # read before identification
    out = tmp_path / "langs.alertpack.age"
    with open_ws(ws_dir) as ws:
        ids = []
        for n, run in enumerate(runs):
            path = images / f"{n}.png"
            path.write_bytes(make_image(seed=40 + n))
            cid = ws.intake.import_file(path, CaptureMeta(
                source_url=f"https://www.tiktok.com/@smuggler{n}/video/{800 + n}")).id
            assert cid is not None
            ws.reading._store_ocr(cid, run)
            ids.append(cid)
        page = ws.packs.preview(template.tiktok_age, ids)
        pack = ws.packs.build(template.tiktok_age, ids, output=out)
        pub = tmp_path / "agency.pub"
        pub.write_text(ws.keys.export_public_key())
    members = _members(out, template.age_key, tmp_path)
    pashto, french, old = json.loads(members["manifest.json"])["items"]
    assert (pashto["languages"], pashto["ocr"]["models"]) == (["pus"], ["ara"])
    assert (french["languages"], french["ocr"]["models"]) == (["fra"], list(latin))
    assert (old["languages"], old["ocr"]["models"]) == ([], ["eng", "fra"])
    # How much of the page was read travels with it: a high mean confidence does not
    # hide a region left unread.
    # The unread regions are the boxes, as docs/pack-format.md says (not a count).
    assert (pashto["ocr"]["coverage"], pashto["ocr"]["unread_regions"]) == (
        0.75, [[0, 120, 540, 60]])
    assert (old["ocr"]["coverage"], old["ocr"]["unread_regions"]) == (None, [])
    for html in (page, members["report.html"].decode()):
        blocks = re.findall(r"<div class=\"ocr\" dir=\"(\w+)\"(?: lang=\"(\w+)\")?>", html)
        assert blocks == [("rtl", "ps"), ("auto", "fr"), ("auto", "")]
        assert "not identified (read with the models eng, fra)" in html
        assert "eng, fra, tur" not in html
        assert html.count("could not be read: the text below is incomplete") == 1
    result = open_pack(out, template.age_key, pub)
    assert result.valid and pack.ref, result.to_dict()


def test_no_item_without_unconfirmed_indicators_shows_the_section(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    with open_ws(ws_dir) as ws:
        ws.review.confirm_all(a)
        assert not ws.review.pending([a, b])
        page = ws.packs.preview(template.tiktok_age, [a, b])
        readiness = ws.packs.readiness([a, b], template.tiktok_age)
    assert "Not yet confirmed by the analyst" not in page
    assert all(r.unconfirmed == 0 for r in readiness)
    with Workspace.open(ws_dir, readonly=True) as ws:
        assert ws.verify().ok


def test_unconfirmed_values_and_reasons_are_escaped_in_the_report(tmp_path: Path) -> None:
    from workstation.packs.format.report import _item_html
    from workstation.packs.format.spec import PackItem, PackRecipient, PackSpec

    spec = PackSpec("NCA-AP-2026-000009", "2026-01-01T00:00:00Z", "NCA", "OIC", "A", {},
                    "facebook", "Meta", {"name": "x"},
                    [PackRecipient("age1x", "x25519", "f", "contact")], {},
                    "OFFICIAL-SENSITIVE", "normal", "remove", "", 90, "2026-01-04T00:00:00Z",
                    "K", "0")
    hostile = "<script>alert(1)</script>"
    item = PackItem(1, 7, tmp_path / "x", "0" * 64, "0" * 32, 1, "png", 1, 1,
                    "2026-01-01T00:00:00Z", "analyst", "p", unconfirmed=[{
                        "kind": "handle", "value": f"@x{hostile}", "normalized": "x",
                        "source": "ocr", "platform": "instagram", "status": "unconfirmed",
                        "attention": f"low confidence {hostile}", "confidence": 41.0,
                        "prior_packs": []}])
    html = _item_html(spec, item, None)
    assert "<script" not in html and html.count("&lt;script&gt;") == 2
    assert "Not yet confirmed by the analyst" in html and "handle (instagram)" in html
