"""A report's preview is the gallery's cached thumbnail only while its bytes match the
SHA-256 recorded (and audited) when the import made it; otherwise (swapped, missing, no
hash recorded: a capture from before migration 0008) it is made again from the verified
original.  ``verify`` reports a recorded hash changed outside the application."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pyrage
import pytest

from tests.core.packs.support import (
    PASS_ENV,
    PASSPHRASE,
    Template,
    copy_ws,
    open_ws,
    template,  # noqa: F401 - the session fixture
)
from tests.core.storage.test_migrations import FIXTURES, copy_fixture
from tests.imagegen import make_image
from workstation.evidence.images import make_thumbnail, probe_bytes, working_copy
from workstation.evidence.thumbs import reduced_thumbnail
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace


def _sql(root: Path, *statements: str) -> None:
    """Change the database behind the application's back, as with the sqlite3 shell."""
    conn = sqlite3.connect(root / "workspace.db")
    try:
        with conn:
            for statement in statements:
                assert conn.execute(statement).rowcount >= 1, statement
    finally:
        conn.close()


def _report_html(pack: Path, identity_file: Path) -> str:
    identity = pyrage.x25519.Identity.from_str(identity_file.read_text().splitlines()[-1])
    plain = pyrage.decrypt(pack.read_bytes(), [identity])
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        return zf.read("report.html").decode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _remade(original: bytes, width: int, height: int) -> bytes:
    """The preview sealing makes from the verified original (the slow path)."""
    return reduced_thumbnail(original, width * height + 1)


@pytest.fixture
def ws_dir(template: Template, tmp_path: Path,  # noqa: F811
           monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    return copy_ws(template, tmp_path / "ws")


def test_a_fresh_capture_report_uses_its_recorded_cached_thumbnail(
        template: Template, ws_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    """The import records the thumbnail's hash (table and audit entry); the report shows
    those very bytes, not a picture decoded again from the original."""
    out = tmp_path / "pack.alertpack.age"
    with open_ws(ws_dir) as ws:
        captures = [ws.captures.get(cid) for cid in template.captures]
        cached = {c.id: ws.captures.thumbnail_path(c).read_bytes() for c in captures}
        remade = {c.id: _remade(ws.captures.read_evidence(c.id), c.width, c.height)
                  for c in captures}
        recorded = dict(ws._conn.execute(
            "SELECT capture_id, lower(hex(sha256)) FROM thumbnail_hashes"))  # 32 bytes (0012)
        audited = {int(e.subject.partition(":")[2]): e.details["thumbnail_sha256"]
                   for e in ws.audit_entries() if e.action == "capture.import"}
        ws.packs.build(template.tiktok_age, template.captures[:2], output=out)  # A and B
    assert recorded == audited == {cid: hashlib.sha256(data).hexdigest()
                                   for cid, data in cached.items()}
    html = _report_html(out, template.age_key)
    for cid in template.captures[:2]:  # B is a JPEG, A a PNG: remade, their bytes differ
        assert cached[cid] != remade[cid]
        assert _b64(cached[cid]) in html  # the cached file's bytes: the original not decoded
        assert _b64(remade[cid]) not in html


def test_a_swapped_thumbnail_is_remade_from_the_original_never_shown(
        template: Template, ws_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    a = template.captures[0]
    forged = make_thumbnail(working_copy(probe_bytes(make_image(seed=9))[1]))
    with open_ws(ws_dir) as ws:
        target = ws.captures.get(a)
        path = ws.captures.thumbnail_path(target)
        real = path.read_bytes()
        path.chmod(0o644)
        path.write_bytes(forged)  # another picture where the advert's should be
        remade = _remade(ws.captures.read_evidence(a), target.width, target.height)
        first = tmp_path / "swapped.alertpack.age"
        ws.packs.build(template.tiktok_age, [a], output=first)

        assert not ws.verify(thumbnails=True).ok  # reported, and replaced from the original
        assert path.read_bytes() == real  # the very bytes the import made: its hash again
        second = tmp_path / "repaired.alertpack.age"
        ws.packs.build(template.tiktok_age, [a], output=second)
    html = _report_html(first, template.age_key)
    assert _b64(forged) not in html
    assert _b64(remade) in html
    assert _b64(real) in _report_html(second, template.age_key)  # the fast path again


@pytest.mark.parametrize("change", ["no hash recorded", "thumbnail missing"])
def test_without_a_matching_thumbnail_the_preview_is_made_from_the_original(
        template: Template, ws_dir: Path, tmp_path: Path, change: str) -> None:  # noqa: F811
    """A capture imported before 0008 has no hash recorded (nothing is back-filled: a
    file already on disk is not trusted after the fact); a missing file is not made
    again at sealing.  Either way the report still has a preview."""
    b = template.captures[1]
    with open_ws(ws_dir) as ws:
        target = ws.captures.get(b)
        path = ws.captures.thumbnail_path(target)
        remade = _remade(ws.captures.read_evidence(b), target.width, target.height)
    if change == "no hash recorded":
        _sql(ws_dir, f"DELETE FROM thumbnail_hashes WHERE capture_id = {b}")
    else:
        path.unlink()
    out = tmp_path / "pack.alertpack.age"
    with open_ws(ws_dir) as ws:
        ws.packs.build(template.tiktok_age, [b], output=out)
    assert _b64(remade) in _report_html(out, template.age_key)


def test_verify_reports_a_thumbnail_hash_changed_outside_the_application(
        template: Template, ws_dir: Path) -> None:  # noqa: F811
    a, b, _c = template.captures
    with open_ws(ws_dir) as ws:
        assert ws.verify().ok
    _sql(ws_dir, f"UPDATE thumbnail_hashes SET sha256 = '{'0' * 64}' WHERE capture_id = {a}",
         f"DELETE FROM thumbnail_hashes WHERE capture_id = {b}")
    with open_ws(ws_dir) as ws:
        problems = [(p.kind, p.capture_id, p.message) for p in ws.verify().problems]
    assert [(kind, cid) for kind, cid, _m in problems] == [("record-altered", a),
                                                            ("record-deleted", b)]
    assert f"thumbnail_hashes row {a} (capture #{a})" in problems[0][2]
    assert "according to the audit trail" in problems[0][2]


def test_verify_reports_a_thumbnail_hash_no_import_recorded(tmp_path: Path) -> None:
    """A capture from before 0008 has no audited hash: a row added for it with sqlite3
    (to have a forged thumbnail used) is reported."""
    root = copy_fixture(FIXTURES / "v7", tmp_path / "v7")
    with Workspace.open(root) as ws:
        first = ws.captures.all()[0]
        thumbnail = ws.captures.thumbnail_path(first).read_bytes()
        assert ws.verify().ok
    digest = hashlib.sha256(thumbnail).hexdigest()
    _sql(root, f"INSERT INTO thumbnail_hashes (capture_id, sha256) VALUES ({first.id}, "
               f"'{digest}')")
    with Workspace.open(root, readonly=True) as ws:
        problems = [(p.kind, p.capture_id, p.message) for p in ws.verify().problems]
    assert [(kind, cid) for kind, cid, _m in problems] == [("record-altered", first.id)]
    assert "records no thumbnail hash" in problems[0][2]
