"""``workstation backup`` and ``restore`` of a workspace encrypted at rest: the backup is
as encrypted as the workspace (its key file as it is, the database through SQLCipher
with the same key, the evidence files' ciphertext, each checked by its plaintext's
SHA-256); a restore opens with the same passphrase; a wrong passphrase, or an altered
evidence file, leaves nothing at the destination."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.core.crypto.test_encrypted_workspace import leaks as find_leaks
from tests.core.packs.support import PASS_ENV, PASSPHRASE, Sealed, open_ws
from tests.core.packs.support import sealed as sealed  # the session fixture
from tests.core.packs.support import template as template  # the session fixture
from tests.ocr_images import Line, plain_image
from workstation.crypto import datakey, unlock
from workstation.crypto.secretstore import WrongPassphrase
from workstation.errors import Cancelled
from workstation.evidence.backup import BackupError, backup_workspace, restore_workspace
from workstation.evidence.encryption import encrypt_workspace
from workstation.models import CaptureMeta
from workstation.progress import CancelToken, Progress
from workstation.workspace import Workspace

SECRET = "the passphrase of this workspace"
ENV = {"WS_PW": SECRET, "WS_WRONG": "not the passphrase", "WORKSTATION_SECRET_BACKEND": "file",
       "WORKSTATION_ANALYST": "Test Analyst"}
#: The advert's words: read by OCR (OCR_WORD), the phone number also in the notes.
OCR_WORD = "Calais"
PHONE = "+44 7700 900321"
#: What must never be found in a backup of an encrypted workspace.
NEEDLES = (b"\x89PNG\r\n\x1a\n", b"SQLite format 3", OCR_WORD.encode(), b"7700 900321",
           b"+447700900321", b"op-channel", b"7700 900123", b"+447700900123",
           b"ts@tiktok.example", b"Escalations", b"boats_uk", b"op-sea",
           "بريطانيا".encode(), b"WhatsApp")


def leaks(folder: Path) -> dict[str, list[bytes]]:
    """Every file under ``folder`` holding one of the needles, with the needles found."""
    return find_leaks(folder, NEEDLES)


def _advert(seed: int) -> bytes:
    image, _boxes = plain_image([[Line(f"Crossing tonight from {OCR_WORD}, boat {seed}")],
                                 [Line(f"WhatsApp {PHONE}")]])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Made:
    root: Path                   # the encrypted workspace (copy it before changing it)
    originals: dict[int, bytes]  # capture id -> the imported PNG
    ocr: dict[int, str]          # capture id -> its OCR text


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """An encrypted workspace with two real PNG adverts, read by real OCR."""
    root = tmp_path_factory.mktemp("encrypted") / "ws"
    originals, ocr = {}, {}
    with Workspace.create_encrypted(root, SECRET) as ws:
        for seed in (1, 2):
            data = _advert(seed)
            capture = ws.intake.import_bytes(data, CaptureMeta(case="op-channel",
                                                               notes=f"WhatsApp {PHONE}"),
                                             method="paste")
            assert capture.id is not None
            originals[capture.id] = data
        outcomes = list(ws.reading.run_ocr(list(originals), lang="eng", jobs=1))
        assert [o.status for o in outcomes] == ["done", "done"], outcomes
        for capture_id in originals:
            run = ws.reading.current_ocr(capture_id)
            assert run is not None and OCR_WORD in run.text  # the needle is real
            ocr[capture_id] = run.text
    assert leaks(root) == {}
    return Made(root, originals, ocr)


def _copy(made: Made, dest: Path) -> Path:
    shutil.copytree(made.root, dest)
    return dest


def _records(ws: Workspace) -> list[tuple[int, str, str | None]]:
    """The captures: id, SHA-256 and OCR text."""
    return [(c.id, c.sha256, (run.text if (run := ws.reading.current_ocr(c.id)) else None))
            for c in ws.captures.all()]


def _evidence(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "evidence").rglob("*") if p.is_file())


def _flip(path: Path) -> None:
    """Change one bit in the middle of the file (its ciphertext)."""
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_encrypted_backup_stays_encrypted_and_restores_with_the_passphrase(
        made: Made, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    unlock.forget(made.root)
    done = backup_workspace(made.root, backup, passphrase=SECRET)
    assert done.encrypted and done.captures == 2 and done.to_dict()["encrypted"] is True
    assert leaks(backup) == {}  # no PNG, no OCR word, no phone number, no plain database
    assert (backup / datakey.KEY_FILE).read_bytes() == (made.root / datakey.KEY_FILE).read_bytes()
    assert len(_evidence(backup)) == 2

    unlock.forget(backup)  # a new session: the key is nowhere but behind the passphrase
    restored = tmp_path / "restored"
    with pytest.raises(unlock.PassphraseNeeded):
        restore_workspace(backup, restored)
    assert not restored.exists()
    again = restore_workspace(backup, restored, passphrase=SECRET)
    assert again.encrypted and again.captures == 2
    assert leaks(restored) == {}

    unlock.forget(restored)
    with pytest.raises(unlock.PassphraseNeeded):
        Workspace.open(restored)
    with pytest.raises(WrongPassphrase):
        Workspace.open(restored, passphrase="not the passphrase")
    with Workspace.open(made.root, passphrase=SECRET, readonly=True) as ws:
        before = _records(ws)
    with Workspace.open(restored, passphrase=SECRET) as ws:
        assert ws.encrypted
        report = ws.verify()
        assert report.ok, report.problems
        assert _records(ws) == before
        assert {i: run.text for i in made.ocr if (run := ws.reading.current_ocr(i))} == made.ocr
        for capture_id, original in made.originals.items():
            assert ws.captures.read_evidence(capture_id) == original
        assert {h.capture_id for h in ws.reading.search(OCR_WORD.lower())} == set(made.originals)
    assert leaks(restored) == {}  # the thumbnails made meanwhile are encrypted too


def test_a_wrong_passphrase_leaves_nothing_at_the_destination(
        made: Made, tmp_path: Path) -> None:
    unlock.forget(made.root)
    fresh, empty = tmp_path / "fresh", tmp_path / "empty"
    empty.mkdir()
    for dest in (fresh, empty):
        with pytest.raises(WrongPassphrase, match="Wrong passphrase"):
            backup_workspace(made.root, dest, passphrase="not the passphrase")
    with pytest.raises(unlock.PassphraseNeeded, match="passphrase-env"):
        backup_workspace(made.root, fresh)
    with pytest.raises(unlock.PassphraseNeeded):
        backup_workspace(made.root, fresh, ask=lambda _sentence: "")  # the user gave up
    assert not fresh.exists() and list(empty.iterdir()) == []

    asked: list[str] = []

    def ask(sentence: str) -> str:
        asked.append(sentence)
        return SECRET

    assert backup_workspace(made.root, fresh, ask=ask).encrypted
    assert len(asked) == 1 and "encrypted workspace" in asked[0]
    unlock.forget(fresh)
    with pytest.raises(WrongPassphrase):
        restore_workspace(fresh, empty, passphrase="not the passphrase")
    assert list(empty.iterdir()) == []


def test_an_altered_evidence_file_refuses_the_backup_and_the_restore(
        made: Made, tmp_path: Path) -> None:
    root = _copy(made, tmp_path / "ws")
    _flip(_evidence(root)[0])
    backup = tmp_path / "backup"
    with pytest.raises(BackupError, match=r"capture #\d+ .* does not match its SHA-256 "
                                          r"\(altered or damaged\); nothing was kept"):
        backup_workspace(root, backup, passphrase=SECRET)
    assert not backup.exists()

    backup_workspace(made.root, backup, passphrase=SECRET)  # a good one, altered later
    _flip(_evidence(backup)[1])
    restored = tmp_path / "restored"
    with pytest.raises(BackupError, match="does not match its SHA-256"):
        restore_workspace(backup, restored, passphrase=SECRET)
    assert not restored.exists()


def test_an_evidence_file_kept_in_plain_is_not_backed_up(made: Made, tmp_path: Path) -> None:
    root = _copy(made, tmp_path / "ws")
    capture_id = next(iter(made.originals))
    with Workspace.open(root, passphrase=SECRET, readonly=True) as ws:
        path = ws.store.path_for(ws.captures.get(capture_id).sha256)
    path.chmod(0o644)
    path.write_bytes(made.originals[capture_id])  # the right bytes, but unencrypted
    with pytest.raises(BackupError, match=f"capture #{capture_id} .* stored unencrypted"):
        backup_workspace(root, tmp_path / "backup", passphrase=SECRET)
    assert not (tmp_path / "backup").exists()


def test_an_interrupted_conversion_is_finished_before_a_backup(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    with Workspace.open(root) as ws:
        for seed in (3, 4):
            ws.intake.import_bytes(_advert(seed), CaptureMeta(), method="paste")
    token = CancelToken()

    def progress(step: Progress) -> None:
        if step.done == 1:
            token.cancel()

    with pytest.raises(Cancelled):
        encrypt_workspace(root, SECRET, progress=progress, cancel=token)
    with pytest.raises(BackupError, match=r"interrupted.*`workstation encrypt`"):
        backup_workspace(root, tmp_path / "backup", passphrase=SECRET)
    assert not (tmp_path / "backup").exists()
    encrypt_workspace(root, SECRET)
    assert backup_workspace(root, tmp_path / "backup", passphrase=SECRET).encrypted


def test_the_outbox_and_the_secret_store_come_along(
        sealed: Sealed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    root = tmp_path / "ws"
    shutil.copytree(sealed.ws, root)
    encrypt_workspace(root, SECRET)
    backup = tmp_path / "backup"
    done = backup_workspace(root, backup, passphrase=SECRET)
    assert done.encrypted and done.captures == 3 and done.packs == 1
    assert leaks(backup) == {}
    unlock.forget(root)
    restored = tmp_path / "restored"
    restore_workspace(backup, restored, passphrase=SECRET)
    with open_ws(restored) as ws:  # the key is this process's since the restore
        assert ws.encrypted and ws.verify().ok
        assert ws.packs.file(sealed.ref).read_bytes() == sealed.file.read_bytes()
        assert ws.keys.signing_key() is not None


def test_the_cli_takes_the_global_passphrase(made: Made, tmp_path: Path) -> None:
    root = _copy(made, tmp_path / "ws")
    backup, restored = tmp_path / "backup", tmp_path / "restored"
    refused = run_cli("backup", str(backup), workspace=root, env=ENV)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "is encrypted" in refused.stderr and "--passphrase-env" in refused.stderr
    wrong = run_cli("--passphrase-env", "WS_WRONG", "backup", str(backup), workspace=root,
                    env=ENV)
    assert wrong.returncode == 1 and "Wrong passphrase" in wrong.stderr
    assert "Traceback" not in wrong.stderr and not backup.exists()

    made_it = run_cli("--passphrase-env", "WS_PW", "backup", str(backup), workspace=root,
                      env=ENV)
    assert made_it.returncode == 0, made_it.stderr
    assert "Backed up 2 captures" in made_it.stdout and "encrypted" in made_it.stdout
    assert leaks(backup) == {}

    no_pass = run_cli("restore", str(backup), str(restored), env=ENV)
    assert no_pass.returncode == 1 and "is encrypted" in no_pass.stderr
    assert not restored.exists()
    done = run_cli("--passphrase-env", "WS_PW", "restore", str(backup), str(restored),
                   "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["encrypted"] is True and result["verified"] is True
    assert result["captures"] == 2
    checked = run_cli("--passphrase-env", "WS_PW", "verify", workspace=restored, env=ENV)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK: 2 evidence files")
