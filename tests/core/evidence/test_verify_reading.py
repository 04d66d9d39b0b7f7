"""``verify`` against what was read: OCR indicators (their platform, confidence and
attention included) and what a run found of the page (advert languages, coverage,
unread regions), on real workspace files.

tests/fixtures/ocr-workspaces/v4 is the saved v4 workspace (tests/fixtures/workspaces/v4)
with two adverts imported and read by the release that wrote schema 4: an advert with
numbers wrapped across lines (tests/adverts.py ``eng_fb``) and one with a price written
with a leading zero ("£0250"), which that release read as a price and this one does not.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workstation.progress import Progress
from workstation.reading.ocr.result import OcrResult, OcrWord
from workstation.reading.stored import ocr_indicators
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

READ_V4 = ROOT / "tests" / "fixtures" / "ocr-workspaces" / "v4"


def copy_fixture(source: Path, copy: Path) -> Path:
    """A writable copy of a saved workspace."""
    shutil.copytree(source, copy)
    for f in copy.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    return copy


def _rows(ws: Workspace, capture_id: int) -> set[tuple]:
    return {(r["kind"], r["value"], r["normalized"], r["ocr_run_id"], r["platform"],
             r["confidence"], r["attention"])
            for r in ws.conn.execute("SELECT * FROM indicators WHERE capture_id = ? "
                                     "AND source = 'ocr'", (capture_id,))}


def _fresh(ws: Workspace, capture_id: int) -> set[tuple]:
    """The current run's indicators as this code reads them from its text and words."""
    repo = ReadingRepo(ws.conn)
    run = repo.current_run(capture_id)
    assert run is not None
    others = repo.earlier_run_texts(capture_id, run["id"])
    return {(i["kind"], i["value"], i["normalized"], run["id"], i["platform"], i["confidence"],
             i["attention"]) for i in ocr_indicators(run, ws.reading.region_hints, others)}


def _sql(root: Path, *statements: str) -> None:
    conn = sqlite3.connect(root / "workspace.db")
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _problems(root: Path) -> list[tuple[str, int | None, str]]:
    with Workspace.open(root, readonly=True) as ws:
        return [(p.kind, p.capture_id, p.message) for p in ws.verify().problems]


def test_an_upgrade_reads_older_ocr_runs_again(tmp_path: Path) -> None:
    """Indicators stored by an older release are read again from the stored text and
    words at the upgrade (joins, platforms, confidences, attention): the rows are this
    code's reading, so ``verify`` does not take the older reading for tampering."""
    root = copy_fixture(READ_V4, tmp_path / "v4")
    heard: list[Progress] = []
    with Workspace.open(root, progress=heard.append) as ws:
        assert ws.verify().ok, ws.verify().problems
        for capture_id in (3, 4):
            assert _rows(ws, capture_id) == _fresh(ws, capture_id) != set()
        joined = [r for r in _rows(ws, 3) if r[0] == "phone"]
        assert joined and all("joined across lines" in (r[6] or "") for r in joined)
        assert ("handle", "instagram") in {(r[0], r[4]) for r in _rows(ws, 3)}
        # "£0250" is no longer a price: the row the older release stored is gone.
        assert "price" not in {r[0] for r in _rows(ws, 4)}
    assert heard[0].done == 0 and heard[-1].done == heard[-1].total == 4
    # Batched: one report before and one after each batch, not one a capture.
    assert len(heard) == 2


def test_an_interrupted_upgrade_resumes_at_the_next_open(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Stopped after its first batch (one capture here), the update of older captures
    goes on when the workspace is next opened, so none is left with the older reading."""
    from workstation.reading import service

    class Stop(Exception):
        pass

    def stop_after_first_batch(progress: Progress) -> None:
        if progress.done:
            raise Stop

    monkeypatch.setattr(service, "BACKFILL_BATCH", 1)
    root = copy_fixture(READ_V4, tmp_path / "v4")
    with pytest.raises(Stop):
        Workspace.open(root, progress=stop_after_first_batch)
    heard: list[Progress] = []
    with Workspace.open(root, progress=heard.append) as ws:
        assert heard[0].total == 3  # the capture done before the stop is not done again
        assert ws.verify().ok, ws.verify().problems
        for capture_id in (3, 4):
            assert _rows(ws, capture_id) == _fresh(ws, capture_id)
    with Workspace.open(root, progress=heard.append):
        assert len(heard) == 4  # nothing left to do: not even a report


def test_the_older_reading_is_accepted_only_for_runs_made_before_0005(tmp_path: Path) -> None:
    root = copy_fixture(READ_V4, tmp_path / "v4")
    with Workspace.open(root) as ws:
        run_id = ws.reading.current_ocr(3).id  # type: ignore[union-attr]
    # Rows as the older release stored them (no joins, platforms, confidences or
    # attention) still verify for its run: an interrupted upgrade leaves such rows.
    with Workspace.open(root) as ws, ws.ctx.write():
        run = next(r for r in ReadingRepo(ws.conn).runs(3) if r["id"] == run_id)
        legacy = [{**i, "platform": None, "confidence": None, "attention": None}
                  for i in ocr_indicators(run, ws.reading.region_hints, (), join_lines=False)]
        ws.conn.execute("DELETE FROM indicators WHERE capture_id = 3 AND source = 'ocr'")
        ReadingRepo(ws.conn).replace_indicators(3, ("ocr",), legacy, run_id)
    assert _problems(root) == []
    # Read again by this release: the same rows are now a number deleted.
    with Workspace.open(root) as ws:
        assert [o.status for o in ws.reading.run_ocr([3], lang="eng", jobs=1)] == ["done"]
        assert ws.verify().ok
    _sql(root, "UPDATE indicators SET platform = NULL, confidence = NULL, attention = NULL "
         "WHERE capture_id = 3", "DELETE FROM indicators WHERE capture_id = 3 AND "
         "attention LIKE '%joined%'")
    assert [(k, c) for k, c, _m in _problems(root)] == [("record-altered", 3)]


def _result(lines: list[str]) -> OcrResult:
    words = []
    for n, line in enumerate(lines, start=1):
        x = 20
        for k, token in enumerate(line.split(), start=1):
            words.append(OcrWord(token, 60 + (n * 7 + k * 3) % 40 + 0.25,
                                 (x, 30 + 50 * n, 14 * len(token), 30), 1, n, 1, k))
            x += 14 * len(token) + 12
    return OcrResult("tesserocr", "5.3.0", ["fas", "eng"], {"psm": 3}, "\n".join(lines),
                     words, 80.0, 0.5, (1080, 2340), advert_languages=["fas", "eng"],
                     coverage=0.875, unread=[(10, 20, 300, 40)])


@pytest.fixture
def read_ws(tmp_path: Path) -> tuple[Path, int]:
    from tests.imagegen import make_image

    root = tmp_path / "ws"
    with Workspace.open(root) as ws:
        cid = ws.intake.import_bytes(make_image(seed=5), method="paste").id
        assert cid is not None
        ws.reading._store_ocr(cid, _result(["Boat to UK every week, safe trip",
                                            "Instagram: @boats.uk",
                                            "WhatsApp +44 7700 900123 any time"]))
        found = ws.reading.indicators(cid)
        assert {i.platform for i in found} >= {"instagram", "whatsapp"}
        assert any(i.attention for i in found) and all(i.confidence for i in found)
        assert ws.verify().ok, ws.verify().problems
    return root, cid


@pytest.mark.parametrize(("change", "column"), [
    ("UPDATE ocr_runs SET coverage = 1.0", "coverage"),
    ("UPDATE ocr_runs SET coverage = NULL", "coverage"),
    ("UPDATE ocr_runs SET unread = '[]'", "unread"),
    ("UPDATE ocr_runs SET unread = '[[10, 20, 300, 41]]'", "unread"),
    ("UPDATE ocr_runs SET advert_languages = 'eng'", "advert_languages"),
])
def test_what_a_run_found_of_the_page_is_checked(read_ws: tuple[Path, int], change: str,
                                                 column: str) -> None:
    """Full coverage claimed for a page with text left unread is an altered record."""
    root, cid = read_ws
    _sql(root, change)
    problems = _problems(root)
    assert [(k, c) for k, c, _m in problems] == [("record-altered", cid)]
    assert f": {column} differs from the audit trail" in problems[0][2]


@pytest.mark.parametrize("change", [
    "UPDATE indicators SET attention = NULL WHERE attention IS NOT NULL",
    "UPDATE indicators SET confidence = 99.0 WHERE source = 'ocr'",
    "UPDATE indicators SET platform = NULL WHERE kind = 'handle'",
])
def test_confidence_and_attention_are_replayed(read_ws: tuple[Path, int], change: str) -> None:
    """Dropping the "check this" mark (so a misreading looks safe) is reported."""
    root, cid = read_ws
    _sql(root, change)
    assert [(k, c) for k, c, _m in _problems(root)] == [("record-altered", cid)]
