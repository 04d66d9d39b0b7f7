"""The analyst's confirmation of indicators (``ws.review`` and ``workstation indicators
--confirm/--reject/--reset/--pending``), on a real workspace file with real Tesseract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.imagegen import make_image
from tests.ocr_images import Line, plain_image
from workstation.errors import WorkstationError
from workstation.models import CaptureMeta
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

PHONE = "+447700900123"
SITE = "safe-travel-example.com"


def advert_png() -> bytes:
    """A plain advert with a phone number, a web address and an e-mail address."""
    image, _boxes = plain_image([[Line("Boat to UK every week, safe trip")],
                                 [Line("WhatsApp +44 7700 900123")],
                                 [Line("www.safe-travel-example.com")],
                                 [Line("boats@safe-travel-example.com")]])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def add(ws: Workspace, data: bytes, meta: CaptureMeta | None = None) -> int:
    """Import ``data`` as a pasted capture; its id."""
    capture_id = ws.intake.import_bytes(data, meta, method="paste").id
    assert capture_id is not None
    return capture_id


def read(ws: Workspace, capture_id: int) -> None:
    outcomes = list(ws.reading.run_ocr([capture_id], lang="eng", jobs=1))
    assert [o.status for o in outcomes] == ["done"], outcomes


def statuses(ws: Workspace, capture_id: int) -> dict[tuple[str, str, str], str]:
    return {(r.kind, r.normalized, r.source): r.status for r in ws.reading.indicators(capture_id)}


def key_of(ws: Workspace, capture_id: int, kind: str) -> str:
    """The normalised value of the capture's first OCR indicator of ``kind``."""
    return next(r.normalized for r in ws.reading.indicators(capture_id, kind)
                if r.source == "ocr")


def test_verdicts_are_audited_survive_a_new_reading_and_leave_pending(ws: Workspace) -> None:
    advert = add(ws, advert_png())
    read(ws, advert)
    found = ws.reading.indicators(advert)
    ocr = [r for r in found if r.source == "ocr"]
    assert {r.kind for r in ocr} >= {"phone", "url", "email"}, found
    assert {r.status for r in ocr} == {"found"}  # nothing goes out unreviewed
    assert all(r.to_dict()["status"] == "found" for r in ocr)
    assert {(r.kind, r.normalized) for r in ws.review.pending()} == {
        (r.kind, r.normalized) for r in ocr}
    url = key_of(ws, advert, "url")
    email = key_of(ws, advert, "email")

    confirmed = ws.review.confirm(advert, "phone", PHONE, note="checked against the image")
    assert confirmed.status == "confirmed" and confirmed.value.replace(" ", "") == PHONE
    assert ws.review.reject(advert, "url", url).status == "rejected"
    entries = [e for e in ws.audit_entries(capture_id=advert) if e.action.startswith("indicator")]
    assert [e.action for e in entries] == ["indicator.confirm", "indicator.reject"]
    assert entries[0].subject == f"capture:{advert}"
    assert {k: entries[0].details[k] for k in ("kind", "normalized", "verdict", "old", "note")} \
        == {"kind": "phone", "normalized": PHONE, "verdict": "confirmed", "old": None,
            "note": "checked against the image"}
    assert entries[0].details["value"] == confirmed.value
    # The same verdict again changes nothing and records nothing.
    ws.review.confirm(advert, "phone", PHONE)
    assert len(ws.audit_entries(capture_id=advert)) == len(entries) + 2  # import, ocr.run

    # Reading the image again rebuilds the indicators; the verdicts stay.
    read(ws, advert)
    after = statuses(ws, advert)
    assert after[("phone", PHONE, "ocr")] == "confirmed"
    assert after[("url", url, "ocr")] == "rejected"
    assert after[("email", email, "ocr")] == "found"
    assert [(r.kind, r.normalized) for r in ws.review.pending([advert])
            if r.kind in ("phone", "url", "email")] == [("email", email)]

    # Reset: back to found, audited with the verdict it withdrew.
    assert ws.review.reset(advert, "url", url).status == "found"
    last = ws.audit_entries(capture_id=advert)[-1]
    assert (last.action, last.details["verdict"], last.details["old"]) == \
        ("indicator.reset", None, "rejected")
    assert ("url", url) in {(r.kind, r.normalized) for r in ws.review.pending([advert])}
    # Confirm all: every one still to review, one audit entry each.
    left = {(r.kind, r.normalized) for r in ws.review.pending([advert])}
    assert {(r.kind, r.normalized) for r in ws.review.confirm_all(advert)} == left
    assert ws.review.pending([advert]) == []
    assert [e.action for e in ws.audit_entries(capture_id=advert)][-len(left):] == \
        ["indicator.confirm"] * len(left)
    assert ws.verify().ok, ws.verify().problems


def test_a_rejected_reading_links_nothing(ws: Workspace) -> None:
    first = add(ws, make_image(seed=1), CaptureMeta(notes="WhatsApp +44 7700 900123"))
    second = add(ws, make_image(seed=2), CaptureMeta(notes="call +44 7700 900123"))
    assert [link.capture_id for link in ws.reading.links(first)] == [second]
    ws.review.reject(second, "phone", PHONE, note="another advert's number")
    assert ws.reading.links(first) == [] and ws.reading.links(second) == []
    ws.review.reset(second, "phone", PHONE)
    assert [link.capture_id for link in ws.reading.links(first)] == [second]


def test_typed_indicators_are_confirmed_and_bad_requests_are_one_line(ws: Workspace) -> None:
    cid = add(ws, make_image(seed=3), CaptureMeta(
        notes="WhatsApp +44 7700 900123", source_url="https://t.me/boats_uk"))
    typed = ws.reading.indicators(cid)
    assert typed and {r.status for r in typed} == {"confirmed"}  # the analyst typed them
    assert ws.review.pending() == []
    assert ws.review.reject(cid, "phone", PHONE).status == "rejected"
    assert ws.review.reset(cid, "phone", PHONE).status == "confirmed"
    with pytest.raises(WorkstationError, match=r"no phone indicator '\+447700900999'") as exc:
        ws.review.confirm(cid, "phone", "+447700900999")
    assert "\n" not in str(exc.value)
    with pytest.raises(WorkstationError, match="no capture #99"):
        ws.review.confirm(99, "phone", PHONE)
    with pytest.raises(WorkstationError, match="Unknown indicator kind"):
        ws.review.reject(cid, "fax", PHONE)
    with pytest.raises(WorkstationError, match="too long"):
        ws.review.confirm(cid, "phone", PHONE, note="x" * 501)
    # Several verdicts are all or nothing.
    entries = len(ws.audit_entries(capture_id=cid))
    with pytest.raises(WorkstationError, match="no phone indicator"):
        ws.review.decide(cid, [("reject", "phone", PHONE), ("confirm", "phone", "+4400")])
    assert len(ws.audit_entries(capture_id=cid)) == entries
    assert {r.status for r in ws.reading.indicators(cid)} == {"confirmed"}
    # Matching what the analyst types: as shown or normalised.
    # (a WhatsApp number is also a phone number: both are named, --kind narrows)
    assert {(r.kind, r.normalized) for r in ws.review.match(cid, "+44 7700 900123")} == {
        ("phone", PHONE), ("whatsapp", PHONE)}
    assert [r.normalized for r in ws.review.match(cid, "447700900123", kind="phone")] == [PHONE]
    assert ws.review.match(cid, "447700900123", kind="url") == []


def test_verify_reports_verdicts_changed_with_plain_sqlite(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        cid = add(ws, make_image(seed=4), CaptureMeta(
            notes="WhatsApp +44 7700 900123, see https://boats.example.com/uk"))
        url = next(r.normalized for r in ws.reading.indicators(cid, "url"))
        ws.review.reject(cid, "phone", PHONE)
        ws.review.confirm(cid, "url", url)
        assert ws.verify().ok
    conn = sqlite3.connect(ws_path / "workspace.db")
    with conn:
        conn.execute("UPDATE indicator_reviews SET verdict = 'confirmed' WHERE kind = 'phone'")
        conn.execute("DELETE FROM indicator_reviews WHERE kind = 'url'")
        conn.execute("INSERT INTO indicator_reviews VALUES (?, 'email', 'x@example.com', "
                     "'confirmed', 'someone', '2026-01-01T00:00:00Z')", (cid,))
    conn.close()
    with Workspace.open(ws_path, readonly=True) as ws:
        problems = ws.verify().problems
    kinds = {(p.kind, p.capture_id) for p in problems}
    assert kinds == {("record-altered", cid), ("record-deleted", cid),
                     ("record-unaudited", cid)}, problems
    altered = next(p for p in problems if p.kind == "record-altered")
    assert "indicator_reviews" in altered.message and "verdict" in altered.message


def test_cli_confirm_reject_reset_and_pending(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    image = tmp_path / "advert.png"
    image.write_bytes(advert_png())
    run_cli("import", str(image), workspace=ws, check=True)
    run_cli("ocr", "--lang", "eng", workspace=ws, check=True)
    listed = run_cli("indicators", "1", workspace=ws, check=True).stdout
    assert "STATUS" in listed and "found" in listed

    done = run_cli("indicators", "1", "--confirm", "+44 7700 900123", "--reject",
                   "www.safe-travel-example.com", workspace=ws, check=True)
    assert "confirmed" in done.stdout and "rejected" in done.stdout
    rows = json.loads(run_cli("indicators", "1", "--json", workspace=ws, check=True).stdout)
    by_kind = {(r["kind"], r["source"]): r["status"] for r in rows}
    assert by_kind[("phone", "ocr")] == "confirmed" and by_kind[("url", "ocr")] == "rejected"
    pending = json.loads(run_cli("indicators", "--pending", "--json", workspace=ws,
                                 check=True).stdout)
    assert pending and {p["status"] for p in pending} == {"found"}
    assert "phone" not in {p["kind"] for p in pending}

    reset = run_cli("indicators", "1", "--reset", PHONE, "--kind", "phone", workspace=ws,
                    check=True)
    assert "found" in reset.stdout
    missing = run_cli("indicators", "1", "--confirm", "+44 1111 222333", workspace=ws)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "no indicator" in missing.stderr
    no_id = run_cli("indicators", "--confirm", PHONE, workspace=ws)
    assert no_id.returncode == 2 and "capture ID" in no_id.stderr
    trail = json.loads(run_cli("audit", "--capture", "1", "--json", workspace=ws,
                               check=True).stdout)
    actions = [e["action"] for e in trail if e["action"].startswith("indicator.")]
    # the number was confirmed under each kind it was read as (phone, and WhatsApp)
    assert set(actions[:-2]) == {"indicator.confirm"}
    assert actions[-2:] == ["indicator.reject", "indicator.reset"]
    assert run_cli("verify", workspace=ws).returncode == 0


def test_a_value_also_typed_in_the_notes_is_confirmed_everywhere(ws: Workspace) -> None:
    """Read by OCR and typed in the notes: confirmed in the viewer's records, not
    pending, and confirmed in what packs carry (one rule), until the analyst rejects it."""
    from workstation.packs.readiness import split_reviewed

    advert = add(ws, advert_png(), CaptureMeta(notes="WhatsApp +44 7700 900123"))
    read(ws, advert)
    phone = [r for r in ws.reading.indicators(advert, "phone") if r.normalized == PHONE]
    assert {r.source for r in phone} == {"ocr", "notes"}
    assert {r.status for r in phone} == {"confirmed"}
    pending = {(r.kind, r.normalized) for r in ws.review.pending([advert])}
    assert ("phone", PHONE) not in pending and ("email", key_of(ws, advert, "email")) in pending
    assert ("phone", PHONE) not in {(r.kind, r.normalized) for r in ws.review.pending()}
    confirmed, unconfirmed = split_reviewed(ws.reading.indicators(advert))
    assert ("phone", PHONE) in {(r.kind, r.normalized) for r in confirmed}
    assert ("phone", PHONE) not in {(r.kind, r.normalized) for r in unconfirmed}
    # Confirm all leaves it alone (nothing to confirm); a rejection wins over the notes.
    assert ("phone", PHONE) not in {(r.kind, r.normalized)
                                    for r in ws.review.confirm_all(advert)}
    ws.review.reject(advert, "phone", PHONE)
    assert {r.status for r in ws.reading.indicators(advert, "phone")
            if r.normalized == PHONE} == {"rejected"}
    confirmed, unconfirmed = split_reviewed(ws.reading.indicators(advert))
    assert ("phone", PHONE) not in {(r.kind, r.normalized) for r in (*confirmed, *unconfirmed)}
