"""0012: compression from frozen preset dictionaries, OCR parameters compressed, PDQ and
thumbnail hashes as bytes — every value read back exactly, damage still reported."""

from __future__ import annotations

import hashlib
import json
import shutil
import zlib
from pathlib import Path

from tests.conftest import ROOT, run_cli
from workstation.resources import resources_dir
from workstation.storage import compact
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.repositories import CaptureRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

READ_V4 = ROOT / "tests" / "fixtures" / "ocr-workspaces" / "v4"


def _copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    for f in dest.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    return dest


def test_the_dictionaries_are_the_frozen_files() -> None:
    """A value compressed with a dictionary can only be read with the very same bytes:
    each file is pinned, and within zlib's 32 KB window."""
    for version, (name, digest) in compact.DICTIONARIES.items():
        data = (resources_dir() / "compression" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
        assert compact.dictionary(version) == data and 0 < len(data) <= 32768


def test_a_value_read_with_another_dictionary_is_damaged_not_garbage() -> None:
    """zlib checks the dictionary's checksum: a version byte changed behind the
    application's back cannot make a value read as some other text."""
    details = json.dumps({"record": {"capture_method": "import", "format": "png",
                                     "captured_at_source": "file", "notes": "boat"}},
                         sort_keys=True, separators=(",", ":")) * 2
    stored = compact.deflate(details)
    assert isinstance(stored, bytes) and stored[0] == compact.VERSION_JSON
    assert compact.inflate(stored) == details
    for other in (compact.VERSION, compact.VERSION_WORDS):
        assert compact.inflate(bytes([other]) + stored[1:]) == compact.DAMAGED
    bomb = (bytes([compact.VERSION_WORDS])
            + zlib.compressobj(zdict=compact.dictionary(compact.VERSION_WORDS)).compress(
                b" " * (compact.MAX_TEXT + 1)))
    assert compact.inflate(bomb) == compact.DAMAGED


def test_an_import_and_its_ocr_run_are_stored_smaller_than_with_zlib_alone(
        tmp_path: Path, image_file) -> None:
    ws_dir = tmp_path / "ws"
    run_cli("import", str(image_file()), workspace=ws_dir, check=True)
    run_cli("ocr", "--all", workspace=ws_dir, check=True)
    conn = sqlite3.connect(ws_dir / "workspace.db")
    compact.install(conn)
    rows = conn.execute(
        "SELECT action, details, aw_inflate(details) FROM audit_entries "
        "WHERE action IN ('capture.import', 'ocr.run')").fetchall()
    params = conn.execute("SELECT params, aw_inflate(params) FROM ocr_runs").fetchall()
    hashes = conn.execute("SELECT typeof(pdq), length(pdq) FROM image_hashes").fetchall()
    conn.close()
    assert {r[0] for r in rows} == {"capture.import", "ocr.run"} and params
    for stored, text in [(r[1], r[2]) for r in rows] + [tuple(p) for p in params]:
        assert isinstance(stored, bytes) and stored[0] == compact.VERSION_JSON
        plain = 1 + len(zlib.compress(text.encode("utf-8"), 9))
        assert len(stored) < 0.8 * plain, (len(stored), plain)
        assert json.loads(text)  # the JSON as written
    assert [tuple(h) for h in hashes] == [("blob", 32)]
    result = run_cli("verify", workspace=ws_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_upgrade_keeps_parameters_and_hashes_exactly(tmp_path: Path) -> None:
    read = _copy(READ_V4, tmp_path / "read")
    conn = sqlite3.connect(read / "workspace.db")
    params = conn.execute("SELECT id, params FROM ocr_runs ORDER BY id").fetchall()
    conn.close()
    assert params
    with Workspace.open(read) as ws:
        pdq = {c.id: ws.reading.pdq_of(c.id) for c in ws.captures.all()}
        thumbs = CaptureRepo(ws.conn).thumbnail_hashes()
        assert ws.verify().ok
    with Workspace.open(read) as ws:  # as stored by the upgrade, read again
        runs = [(r["id"], r["params"]) for cid in pdq for r in ReadingRepo(ws.conn).runs(cid)]
        kinds = {r[0] for r in ws.conn.execute("SELECT typeof(params) FROM ocr_runs")}
        assert {c.id: ws.reading.pdq_of(c.id) for c in ws.captures.all()} == pdq
        assert CaptureRepo(ws.conn).thumbnail_hashes() == thumbs
        stored = ws.conn.execute(
            "SELECT DISTINCT typeof(pdq), length(pdq) FROM image_hashes").fetchall()
    assert sorted(runs) == [(i, p) for i, p in params]
    assert kinds == {"blob"}
    assert [tuple(s) for s in stored] == [("blob", 32)]
    assert all(isinstance(v, str) and len(v) == 64 for v in thumbs.values())


def test_a_hash_that_is_not_lowercase_hex_is_kept_as_found(tmp_path: Path,
                                                            image_file) -> None:
    """A thumbnail hash changed behind the application's back stays as it was found,
    and ``verify`` reports it."""
    ws_dir = tmp_path / "ws"
    run_cli("import", str(image_file()), workspace=ws_dir, check=True)
    conn = sqlite3.connect(ws_dir / "workspace.db")
    (recorded,) = conn.execute("SELECT lower(hex(sha256)) FROM thumbnail_hashes").fetchone()
    conn.execute("UPDATE thumbnail_hashes SET sha256 = ?", (recorded.upper(),))
    conn.commit()
    conn.close()
    assert compact.pack_hex(recorded.upper()) == recorded.upper()
    assert compact.pack_hex(recorded) == bytes.fromhex(recorded)
    with Workspace.open(ws_dir) as ws:
        assert CaptureRepo(ws.conn).thumbnail_hashes() == {1: recorded.upper()}
        problems = ws.verify().problems
    assert any("thumbnail_hashes row 1" in p.message for p in problems), problems
