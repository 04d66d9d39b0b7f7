"""Everything that matters is covered by ``verify``: contacts and their keys, the agency's
keys, settings and packs changed with plain SQLite are reported with their table and row;
a substituted key is never used to seal; a swapped thumbnail never reaches a report."""

from __future__ import annotations

import base64
import io
import json
import shutil
import zipfile
from pathlib import Path

import pyrage
import pytest

from tests.conftest import run_cli
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    Template,
    copy_ws,
    open_ws,
    sealed,  # noqa: F401 - the session fixture
    template,  # noqa: F401 - the session fixture
)
from workstation.crypto.recipients import fingerprint_of
from workstation.evidence.images import make_thumbnail, probe_bytes, working_copy
from workstation.evidence.thumbs import preview_from_original, reduced_thumbnail
from workstation.packs.models import AgencyKeyError
from workstation.storage.sqlitelib import sqlite3


def _tamper(ws_dir: Path, *statements: str) -> None:
    """Change the database behind the application's back, as an attacker with sqlite3."""
    conn = sqlite3.connect(ws_dir / "workspace.db")
    try:
        with conn:
            for sql in statements:
                assert conn.execute(sql).rowcount >= 1, sql
    finally:
        conn.close()


def _problems(ws_dir: Path) -> list[str]:
    with open_ws(ws_dir) as ws:
        return [p.message for p in ws.verify().problems]


def test_contact_key_substitution_is_reported_shown_and_never_used(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    with open_ws(ws_dir) as ws:
        verified = ws.contacts.verify(template.tiktok_age, note="read aloud on the phone")
        old_fingerprint = verified.recipients[0].fingerprint
    assert run_cli("verify", workspace=ws_dir, env=CLI_ENV).returncode == 0
    attacker = str(pyrage.x25519.Identity.generate().to_public())
    # Only the key text changes: the stored fingerprint column still shows the verified one.
    _tamper(ws_dir, f"UPDATE contact_recipients SET recipient = '{attacker}' "
                    f"WHERE contact_id = {template.tiktok_age}")

    listed = run_cli("contact", "list", "--json", workspace=ws_dir, env=CLI_ENV)
    assert listed.returncode == 0, listed.stderr
    contact = next(c for c in json.loads(listed.stdout) if c["id"] == template.tiktok_age)
    assert contact["recipients"][0]["fingerprint"] == fingerprint_of(attacker) != old_fingerprint
    assert contact["verified"] is False  # the verified fingerprints are no longer its keys

    checked = run_cli("verify", workspace=ws_dir, env=CLI_ENV)
    assert checked.returncode == 1
    assert (f"PROBLEM: contacts row {template.tiktok_age} (contact #{template.tiktok_age}): "
            "its recipient keys differ from the audit trail") in checked.stdout

    out = tmp_path / "pack.alertpack.age"
    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    str(template.captures[0]), "--passphrase-env", PASS_ENV, "-o", str(out),
                    workspace=ws_dir, env=CLI_ENV)
    assert built.returncode == 1
    warning, *_, error = built.stderr.splitlines()  # no longer verified: warned, then refused
    assert warning.startswith(f"warning: contact #{template.tiktok_age} has not been verified")
    assert error.startswith(f"workstation: error: Contact #{template.tiktok_age} was changed "
                            "outside the application")
    assert not out.exists()
    with open_ws(ws_dir) as ws:
        assert ws.packs.all() == []  # nothing sealed, no draft left


def test_a_swapped_archive_key_is_reported_and_never_used(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    attacker = str(pyrage.x25519.Identity.generate().to_public())
    _tamper(ws_dir, f"UPDATE agency_keys SET public = '{attacker}', fingerprint = "
                    f"'{fingerprint_of(attacker)}' WHERE kind = 'archive'")
    assert any(m.startswith("agency_keys row ") and "archive key" in m
               and "no audit entry" in m for m in _problems(ws_dir))
    with open_ws(ws_dir) as ws, pytest.raises(AgencyKeyError, match="archive key"):
        ws.packs.build(template.tiktok_age, template.captures[:1],
                       output=tmp_path / "p.alertpack.age")
    assert not (tmp_path / "p.alertpack.age").exists()


@pytest.mark.parametrize(("statements", "expected"), [
    (["UPDATE contacts SET email = 'attacker@evil.example' WHERE id = {tiktok_age}"],
     "contacts row {tiktok_age} (contact #{tiktok_age}): email is 'attacker@evil.example'"),
    (["UPDATE contacts SET verified_by = 'Mallory', verified_at = '2026-01-01T00:00:00Z' "
      "WHERE id = {facebook}"],
     "contacts row {facebook} (contact #{facebook}): it is marked verified but the audit "
     "trail has no verification"),
    (["UPDATE contact_recipients SET fingerprint = '0000' WHERE contact_id = {tiktok_ssh}"],
     "the stored fingerprint does not match its key"),
    (["INSERT INTO settings (key, value) VALUES ('handling_marking', 'Mallory Inc')"],
     "settings row 'handling_marking' has no audit entry"),  # the issuer is set: audited
    (["UPDATE packs SET state = 'closed'"],
     "packs row 1 ({ref}): state is 'closed' in the database but 'sealed'"),
    (["UPDATE packs SET file_sha256 = '" + "0" * 64 + "'"],
     "packs row 1 ({ref}): file_sha256 is '" + "0" * 64 + "'"),
    (["UPDATE pack_items SET outcome = 'removed'"],
     "packs row 1 ({ref}): pack_items outcome of capture #"),
    (["UPDATE agency_keys SET retired_at = '2026-01-01T00:00:00Z' WHERE kind = 'signing'"],
     "retired state differs from the audit trail"),
    (["DELETE FROM pack_indicators", "DELETE FROM pack_items", "DELETE FROM packs"],
     "pack {ref} is in the audit trail but missing from the database"),
    (["UPDATE indicators SET value = '+44 7700 900999', normalized = '+447700900999' "
      "WHERE capture_id = {a} AND source = 'ocr' AND kind = 'phone'"],
     "indicators rows of capture #{a} (OCR) differ from those read from its audited text"),
    (["INSERT INTO indicators (capture_id, kind, value, normalized, source) "
      "VALUES ({a}, 'phone', '+44 7700 900666', '+447700900666', 'notes')"],
     "indicators rows of capture #{a} (notes and metadata) differ"),
    (["DELETE FROM indicators WHERE capture_id = {a} AND source = 'metadata'"],
     "indicators rows of capture #{a} (notes and metadata) differ"),
    (["UPDATE packs SET state = 'queued', transport = 'smtp', "
      "destination = 'attacker@evil.example'"],
     "packs row 1 ({ref}): destination is 'attacker@evil.example' in the database but None"),
], ids=["contact-email", "contact-verified", "fingerprint-column", "setting", "pack-state",
        "pack-hash", "pack-outcome", "key-retired", "pack-deleted", "indicator-altered",
        "indicator-added", "indicator-deleted", "pack-destination"])
def test_records_changed_outside_the_application_are_reported_with_table_and_row(
        sealed: Sealed, tmp_path: Path, statements: list[str],  # noqa: F811
        expected: str) -> None:
    t = sealed.template
    names = {"a": t.captures[0], "tiktok_age": t.tiktok_age, "tiktok_ssh": t.tiktok_ssh,
             "facebook": t.facebook, "ref": sealed.ref}
    ws_dir = tmp_path / "ws"
    shutil.copytree(sealed.ws, ws_dir)
    assert _problems(ws_dir) == []
    _tamper(ws_dir, *(s.format(**names) for s in statements))
    problems = _problems(ws_dir)
    assert any(expected.format(**names) in m for m in problems), problems


def _report_html(pack: Path, identity_file: Path) -> str:
    identity = pyrage.x25519.Identity.from_str(identity_file.read_text().splitlines()[-1])
    plain = pyrage.decrypt(pack.read_bytes(), [identity])
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        return zf.read("report.html").decode("utf-8")


def test_a_swapped_thumbnail_is_reported_replaced_and_never_reaches_a_report(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, _b, c = template.captures
    with open_ws(ws_dir) as ws:
        target, other = ws.captures.get(a), ws.captures.get(c)
        path = ws.captures.thumbnail_path(target)
        real = path.read_bytes()
        forged = ws.captures.thumbnail_path(other).read_bytes()
        assert ws.verify().ok
        path.chmod(0o644)
        path.write_bytes(forged)  # another picture where the advert's should be

        assert ws.verify().ok  # the default check leaves the gallery's cache alone (slow)
        result = ws.verify(thumbnails=True)
        assert [(p.kind, p.capture_id) for p in result.problems] == [("derived-altered", a)]
        assert "thumbnail" in result.problems[0].message
        assert path.read_bytes() == real  # replaced by one made from the original
        assert ws.verify(thumbnails=True).ok

        path.write_bytes(forged)
        out = tmp_path / "pack.alertpack.age"
        ws.packs.build(template.tiktok_age, [a], output=out)
        original = ws.captures.read_evidence(a)
        shown = preview_from_original(ws.ctx, target.sha256, target.width, target.height)
    _info, image = probe_bytes(original)
    expected = make_thumbnail(working_copy(image))  # regenerated from the original
    html = _report_html(out, template.age_key)
    assert expected == real
    assert shown == reduced_thumbnail(original, target.width * target.height + 1)
    assert base64.b64encode(shown).decode("ascii") in html  # made from the original
    assert base64.b64encode(forged).decode("ascii") not in html


def test_changes_made_through_the_application_keep_verify_clean(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """No false alarm: settings (region hints too), notes re-read with other hints,
    verification, key rotation, sealing, sending and outcomes all replay exactly."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    a, b, c = template.captures
    with open_ws(copy_ws(template, tmp_path / "ws")) as ws:
        ws.set_setting("region_hints", "FR")
        ws.captures.set_notes(b, "appelez le 06 12 34 56 78", append=True)
        ws.set_setting("region_hints", "GB,FR")
        ws.set_setting("agency_name", "NCA")
        ws.contacts.verify(template.tiktok_age, note="phoned")
        ws.keys.rotate()
        pack = ws.packs.build(template.tiktok_age, [a, b])
        ws.outbox.send(pack.ref, via="folder", to=str(tmp_path))
        answer = tmp_path / "answer.csv"
        answer.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                          f"{pack.ref},{a},removed,,\r\n{pack.ref},{b},no violation,,\r\n")
        ws.outcomes.import_file(answer)
        ws.captures.add_tags(c, ["boats"])
        result = ws.verify()
        assert result.ok, [p.message for p in result.problems]
        assert ws.packs.get(pack.ref).state == "closed"
        assert ws.contacts.get(template.tiktok_age).verified
