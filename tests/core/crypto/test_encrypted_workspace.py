"""A workspace encrypted at rest: a copied folder reveals nothing; it opens only with its
passphrase; an existing workspace is converted, resumably; evidence is still addressed
and checked by the SHA-256 of its plaintext, and still leaves in packs byte-exact."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pyrage
import pytest

from tests.core.packs.support import PASS_ENV, PASSPHRASE, Template, copy_ws, open_ws
from tests.core.packs.support import template as template
from tests.imagegen import make_screenshot
from workstation.crypto import datakey, filecrypt, unlock
from workstation.crypto.secretstore import WrongPassphrase
from workstation.errors import Cancelled, WorkstationError
from workstation.evidence.encryption import encrypt_workspace
from workstation.models import CaptureMeta
from workstation.progress import CancelToken, Progress
from workstation.workspace import Workspace

SECRET = "a passphrase for this workspace"
#: What must never be found in the folder of an encrypted workspace.
NEEDLES = (b"\x89PNG\r\n\x1a\n", b"JFIF\x00", b"SQLite format 3", b"7700 900123",
           b"+447700900123", b"ts@tiktok.example", b"Escalations", b"boats_uk", b"op-sea",
           "بريطانيا".encode(), b"WhatsApp")


def leaks(folder: Path, needles: tuple[bytes, ...] = NEEDLES) -> dict[str, list[bytes]]:
    """Every file under ``folder`` holding one of ``needles``, with the needles found."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [n for n in needles if n in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


@pytest.fixture
def converted(template: Template, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pack template's workspace (captures, OCR text, contacts, keys), encrypted."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    root = copy_ws(template, tmp_path / "ws")
    assert leaks(root)  # the plain workspace does show them: the needles are real
    with open_ws(root) as ws:  # thumbnails on disk too
        for capture in ws.captures.all():
            ws.captures.thumbnail_path(capture)
    result = encrypt_workspace(root, SECRET)
    assert result.database_encrypted and result.files_encrypted == 6 and not result.resumed
    return root


def test_a_converted_workspace_reveals_nothing_and_opens_only_with_its_passphrase(
        converted: Path, template: Template) -> None:
    assert leaks(converted) == {}
    unlock.forget(converted)
    before = {p: p.read_bytes() for p in converted.rglob("*") if p.is_file()}
    with pytest.raises(unlock.PassphraseNeeded, match="passphrase-env"):
        Workspace.open(converted)
    with pytest.raises(WrongPassphrase, match="nothing was opened or written"):
        Workspace.open(converted, passphrase="not the passphrase")
    assert {p: p.read_bytes() for p in converted.rglob("*") if p.is_file()} == before
    with Workspace.open(converted, passphrase=SECRET) as ws:
        assert ws.encrypted and ws.status().encrypted
        assert ws.status().captures == 3
        report = ws.verify(thumbnails=True)
        assert report.ok, report.problems
        assert [h.capture_id for h in ws.reading.search("whatsapp")] == [template.captures[0]]
        original = (template.root.parent / "images" / "a.png").read_bytes()
        assert ws.captures.read_evidence(template.captures[0]) == original
        assert ws.captures.thumbnail(ws.captures.get(template.captures[0]))[:3] == b"\xff\xd8\xff"
        actions = [e.action for e in ws.audit_entries()]
        assert actions[-1] == "workspace.encrypt"
    # open: the WAL and the thumbnails made now are encrypted too
    with open_ws(converted) as ws:
        ws.intake.import_file(_screenshot(converted.parent, "late.png"),
                              CaptureMeta(case="op-sea", notes="WhatsApp +44 7700 900123"))
        assert leaks(converted) == {}
    assert leaks(converted) == {}


def _screenshot(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(make_screenshot(width=540, height=900, seed=9, text="boat UK"))
    return path


def test_a_pack_from_an_encrypted_workspace_carries_the_original_bytes(
        converted: Path, template: Template, tmp_path: Path) -> None:
    out = tmp_path / "pack.alertpack.age"
    with open_ws(converted) as ws:
        ws.packs.build(template.tiktok_age, template.captures[:2],
                       reason="Adverts for Channel crossings", priority="urgent", output=out)
    assert leaks(converted) == {}  # the outbox's copy is sealed (age), the previews gone
    identity = pyrage.x25519.Identity.from_str(
        template.age_key.read_text().splitlines()[-1].strip())
    plain = pyrage.decrypt(out.read_bytes(), [identity])
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        evidence = {n: zf.read(n) for n in zf.namelist() if n.startswith("evidence/")}
    original = (template.root.parent / "images" / "a.png").read_bytes()
    assert any(data == original for data in evidence.values())
    assert len(evidence) == 2


def test_verify_reports_an_undecryptable_file_and_one_kept_in_plain(
        converted: Path, template: Template) -> None:
    with open_ws(converted) as ws:
        a, b = (ws.captures.get(i) for i in template.captures[:2])
        path_a, path_b = ws.store.path_for(a.sha256), ws.store.path_for(b.sha256)
    path_a.chmod(0o600)
    data = bytearray(path_a.read_bytes())
    data[-5] ^= 0x01
    path_a.write_bytes(bytes(data))
    path_b.chmod(0o600)
    path_b.write_bytes((template.root.parent / "images" / "b.jpg").read_bytes())
    with open_ws(converted) as ws:
        messages = [p.message for p in ws.verify().problems]
        assert any("no longer decrypts" in m for m in messages), messages
        assert any("stored unencrypted" in m for m in messages), messages
        with pytest.raises(WorkstationError, match="altered"):
            ws.captures.read_evidence(a.id)


def test_a_stopped_conversion_goes_on_where_it_was(
        template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    root = copy_ws(template, tmp_path / "ws")
    token = CancelToken()

    def progress(step: Progress) -> None:
        if step.done == 1:  # the second file is encrypted, then it stops
            token.cancel()

    with pytest.raises(Cancelled, match="run it again"):
        encrypt_workspace(root, SECRET, progress=progress, cancel=token)
    evidence = sorted(p for p in (root / "evidence").rglob("*") if p.is_file())
    states = [filecrypt.is_encrypted(p.read_bytes()[:32]) for p in evidence]
    assert states.count(True) == 2 and states.count(False) == 1
    with pytest.raises(WorkstationError, match=r"interrupted.*encrypt"):
        Workspace.open(root, passphrase=SECRET)
    unlock.forget(root)
    with pytest.raises(WrongPassphrase):
        encrypt_workspace(root, "another passphrase")
    result = encrypt_workspace(root, SECRET)
    assert result.resumed and result.files_encrypted == 4 and result.files_already == 2
    assert result.database_encrypted
    assert leaks(root) == {}
    with Workspace.open(root) as ws:
        assert ws.verify().ok
    with pytest.raises(WorkstationError, match="already"):
        encrypt_workspace(root, SECRET)


def test_a_new_encrypted_workspace_and_a_changed_passphrase(tmp_path: Path) -> None:
    root = tmp_path / "new"
    with Workspace.create_encrypted(root, SECRET) as ws:
        ws.intake.import_file(_screenshot(tmp_path, "a.png"),
                              CaptureMeta(case="op-sea", notes="WhatsApp +44 7700 900123"))
        key_id = datakey.read_key_id(root / datakey.KEY_FILE)
        db_before = hashlib.sha256((root / "workspace.db").read_bytes()).hexdigest()
        ws.change_passphrase(SECRET, "the new passphrase")
        with pytest.raises(WrongPassphrase):
            ws.change_passphrase(SECRET, "a third")
    assert datakey.read_key_id(root / datakey.KEY_FILE) == key_id  # same key: data untouched
    assert leaks(root) == {}
    unlock.forget(root)
    with pytest.raises(WrongPassphrase):
        Workspace.open(root, passphrase=SECRET)
    with Workspace.open(root, passphrase="the new passphrase") as ws:
        assert ws.status().captures == 1 and ws.verify().ok
        assert [e.action for e in ws.audit_entries()][-1] == "workspace.passphrase"
    assert db_before  # (the database was rewritten only by the audit entry, not re-keyed)
    with pytest.raises(WorkstationError, match="not empty"):
        Workspace.create_encrypted(root, SECRET)


def test_a_database_without_its_key_file_is_explained(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.create_encrypted(root, SECRET).close()
    shutil.move(root / datakey.KEY_FILE, tmp_path / "elsewhere.key")
    with pytest.raises(WorkstationError,
                       match=r"^workspace\.db is damaged.*key file workspace\.key is missing"):
        Workspace.open(root)
