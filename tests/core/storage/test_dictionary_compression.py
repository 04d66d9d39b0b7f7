"""0012: compression from frozen preset dictionaries, OCR parameters compressed, PDQ and
thumbnail hashes as bytes — every value read back exactly, damage still reported."""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT, run_cli
from tests.core.storage.test_migrations import copy_fixture
from tests.imagegen import make_image
from workstation.models import CaptureMeta
from workstation.resources import resources_dir
from workstation.storage import compact
from workstation.storage.reading_repo import ReadingRepo, decode_categories, encode_categories
from workstation.storage.repositories import CaptureRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import format_utc
from workstation.workspace import Workspace

READ_V4 = ROOT / "tests" / "fixtures" / "ocr-workspaces" / "v4"


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
    read = copy_fixture(READ_V4, tmp_path / "read")
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


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2110, 1, 1)))
def test_a_time_reads_back_as_written(moment: datetime) -> None:
    """Times of 2001-2099 in the application's form are stored as 13 digits of
    milliseconds and given back exactly by SQLite; any other text is kept as it is."""
    written = format_utc(moment)
    stored = compact.pack_time(written)
    conn = sqlite3.connect(":memory:")
    (back,) = conn.execute(f"SELECT {compact.time_sql('?1')}", (stored,)).fetchone()
    conn.close()
    assert back == written
    assert (len(stored) == 13) == (datetime(2001, 9, 9, 1, 46, 40) <= moment
                                   < datetime(2100, 1, 1))
    for other in ("", "yesterday", "2026-02-30T00:00:00.000Z", written.replace("Z", "+00:00")):
        assert compact.pack_time(other) == other


def test_keyword_categories_and_hits_written_before_are_still_read(tmp_path: Path) -> None:
    assert encode_categories(["price", "boat"]) == "boat,price"
    assert decode_categories("boat,price") == ["boat", "price"]
    assert decode_categories(encode_categories(["a,b", "c"])) == ["a,b", "c"]  # JSON then
    assert decode_categories('["boat", "price"]') == ["boat", "price"]  # before 0012
    assert decode_categories("") == [] and decode_categories("[broken") == []
    with Workspace.open(tmp_path / "ws") as ws:
        cid = ws.intake.import_bytes(make_image(seed=3), CaptureMeta(
            notes="Boat to UK tonight from Calais, WhatsApp for the price"),
            method="paste").id
        assert cid is not None
        hits = ws.reading.keyword_hits(cid)
        coded, categories = ws.conn.execute(
            "SELECT hits, categories FROM capture_flags").fetchone()
        assert hits and coded.endswith("n")  # notes: a letter; OCR (the most common): none
        reasons = ws.overview.captures([cid])[cid].flag_reasons
        assert reasons and categories == ",".join(reasons)
        # As a release before 0012 wrote them: every hit with its letter, JSON categories.
        ws.conn.execute("UPDATE capture_flags SET hits = ?, categories = ?", (
            ",".join(f"{part[:-1]}o" for part in coded.split(",")),
            '["boat", "destination"]'))
        assert {h["source"] for h in ws.reading.keyword_hits(cid)} == {"ocr"}
        assert len(ws.reading.keyword_hits(cid)) == len(hits)
        assert ws.overview.captures([cid])[cid].flag_reasons == ("boat", "destination")


def test_indicator_values_are_found_whatever_the_words_around_them(tmp_path: Path) -> None:
    """A value may start or end inside a word of its text (Arabic run into digits, a
    price followed by letters): its own words stay in the index."""
    with Workspace.open(tmp_path / "ws") as ws:
        ids = [ws.intake.import_bytes(make_image(seed=20 + k), CaptureMeta(notes=notes),
                                      method="paste").id
               for k, notes in enumerate(("واتساب07700900123 للتواصل",
                                          "Room £1,200pw bills included",
                                          "tel.07700900123x call"))]
        found = {q: sorted(h.capture_id for h in ws.reading.search(q))
                 for q in ("07700900123", "£1,200", "1,200")}
    assert found == {"07700900123": [ids[0], ids[2]], "£1,200": [ids[1]], "1,200": [ids[1]]}


def test_damaged_ocr_parameters_are_reported_not_a_traceback(tmp_path: Path) -> None:
    read = copy_fixture(READ_V4, tmp_path / "read")
    with Workspace.open(read) as ws:
        assert ws.verify().ok
        run_id, capture_id, params = ws.conn.execute(  # a capture's current run
            "SELECT id, capture_id, params FROM ocr_runs WHERE id = (SELECT max(id) FROM "
            "ocr_runs)").fetchone()
        assert isinstance(params, bytes)
        ws.conn.execute("UPDATE ocr_runs SET params = ? WHERE id = ?",
                        (params[:10] + bytes([params[10] ^ 0xFF]) + params[11:], run_id))
        ws.conn.commit()
        messages = [p.message for p in ws.verify().problems]
        current = ws.reading.current_ocr(capture_id)
    assert f"OCR run {run_id} of capture #{capture_id}: params differs from the audit " \
        "trail" in messages
    assert current is not None and current.id == run_id
    assert current.params == {"damaged": True}
    result = run_cli("show", str(capture_id), workspace=read)
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_a_time_of_13_digits_written_before_the_upgrade_stays_as_found(tmp_path: Path) -> None:
    read = copy_fixture(READ_V4, tmp_path / "read")
    conn = sqlite3.connect(read / "workspace.db")
    conn.execute("UPDATE ocr_runs SET created_at = '1764912000000' WHERE id = 1")
    conn.execute("UPDATE audit_log SET at = '1764912000000' WHERE seq = 2")
    conn.commit()
    conn.close()
    with Workspace.open(read) as ws:
        (at,) = ws.conn.execute("SELECT at FROM audit_log WHERE seq = 2").fetchone()
        (created,) = ws.conn.execute(
            f"SELECT {compact.time_sql('created_at')} FROM ocr_runs WHERE id = 1").fetchone()
        found = {(p.kind, p.seq) for p in ws.verify().problems}
    assert at == created == "1764912000000"
    assert ("audit-altered", 2) in found
