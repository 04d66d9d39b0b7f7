"""Keyword hits stored compactly (0007): one text of term ids per capture instead of a
row per hit, the same hits read back, before and after an upgrade."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.core.storage.test_migrations import copy_fixture
from tests.imagegen import make_image
from workstation.models import CaptureMeta
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

READ_V4 = ROOT / "tests" / "fixtures" / "ocr-workspaces" / "v4"


def _hits(ws: Workspace, capture_id: int) -> set[tuple[str, str, str, str]]:
    return {(h["term"], h["category"], h["language"], h["source"])
            for h in ws.reading.keyword_hits(capture_id)}


def test_an_upgrade_keeps_every_keyword_hit(tmp_path: Path) -> None:
    root = copy_fixture(READ_V4, tmp_path / "v4")
    conn = sqlite3.connect(root / "workspace.db")
    before: dict[int, set[tuple[str, str, str, str]]] = {}
    for cid, term, category, language, source in conn.execute(
            "SELECT capture_id, term, category, language, source FROM keyword_hits"):
        before.setdefault(cid, set()).add((term, category, language, source))
    conn.close()
    assert len(before) == 2 and all(before.values())
    with Workspace.open(root) as ws:
        assert {cid: _hits(ws, cid) for cid in before} == before
        tables = {r[0] for r in ws._conn.execute("SELECT name FROM sqlite_master")}
        assert "keyword_hits" not in tables and "keyword_terms" in tables
        assert ws.verify().ok


def test_hits_are_one_short_text_per_capture(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        notes = "Boat to UK tonight from Calais, WhatsApp for the price"
        cid = ws.intake.import_bytes(make_image(seed=4), CaptureMeta(notes=notes),
                                     method="paste").id
        assert cid is not None
        hits = ws.reading.keyword_hits(cid)
        assert ("Calais", "destination", "en", "notes") in _hits(ws, cid)
        assert [(h["category"], h["term"]) for h in hits] == sorted(
            (h["category"], h["term"]) for h in hits)
        coded = ws._conn.execute("SELECT hits FROM capture_flags WHERE capture_id = ?",
                                 (cid,)).fetchone()[0]
        assert len(coded.split(",")) == len(hits) and len(coded) < 6 * len(hits)
        # A second capture with the same words reuses the stored terms.
        terms = ws._conn.execute("SELECT count(*) FROM keyword_terms").fetchone()[0]
        other = ws.intake.import_bytes(make_image(seed=5), CaptureMeta(notes=notes),
                                       method="paste").id
        assert other is not None and _hits(ws, other) == _hits(ws, cid)
        assert ws._conn.execute("SELECT count(*) FROM keyword_terms").fetchone()[0] == terms
        # Notes edited: the hits follow.
        ws.captures.edit(cid, notes="nothing to see")
        assert _hits(ws, cid) == set()
