"""Cases: rename, move captures between cases, the case view (captures with exhibit
references, packs with outcomes) and the timeline — on real workspaces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.core.packs.support import (
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    open_ws,
    sealed,  # noqa: F401 (a fixture)
    template,  # noqa: F401 (a fixture)
)
from workstation.errors import NotFound, WorkstationError
from workstation.models import CaptureMeta
from workstation.workspace import Workspace


def test_rename_is_unique_and_audited(ws: Workspace) -> None:
    ws.cases.create("Op Alpha")
    ws.cases.create("Op Beta")
    renamed = ws.cases.rename("Op Alpha", "  Op   Gamma ")
    assert renamed.name == "Op Gamma"
    with pytest.raises(NotFound):
        ws.cases.get("Op Alpha")
    with pytest.raises(WorkstationError, match="A case named 'Op Beta' already exists"):
        ws.cases.rename("Op Gamma", "Op Beta")
    with pytest.raises(WorkstationError, match="must not be empty"):
        ws.cases.rename("Op Gamma", "  ")
    with pytest.raises(NotFound, match="no case named 'Op Nope'"):
        ws.cases.rename("Op Nope", "Op New")
    assert ws.cases.rename("Op Gamma", "op gamma").name == "op gamma"  # only the case
    entries = [e for e in ws.audit.entries() if e.action == "case.rename"]
    assert [(e.details["old"], e.details["new"]) for e in entries] == [
        ("Op Alpha", "Op Gamma"), ("Op Gamma", "op gamma")]
    assert ws.verify().ok


def test_a_rename_outside_the_application_is_found(ws: Workspace) -> None:
    ws.cases.create("Op Alpha")
    ws.conn.execute("UPDATE cases SET name = 'Op Forged'")
    assert any("differs from the audit trail" in p.message for p in ws.verify().problems)


def test_move_several_captures_in_one_audited_write(
        ws: Workspace, image_file: Callable[..., Path]) -> None:
    a, b, c = (ws.intake.import_file(image_file(), CaptureMeta(case="Op A")).id
               for _ in range(3))
    ws.cases.create("Op B")
    before = ws.audit.count()
    assert ws.cases.move([a, b, a], "Op B") == [a, b]
    assert ws.audit.count() == before + 1
    (entry,) = [e for e in ws.audit.entries() if e.action == "case.move"]
    op_b = ws.cases.get("Op B")
    assert entry.subject == f"case:{op_b.id}"
    assert entry.details["captures"] == [a, b]
    assert [f["case"] for f in entry.details["from"]] == ["Op A", "Op A"]
    assert [x.case for x in ws.captures.all()] == ["Op B", "Op B", "Op A"]
    assert ws.cases.move([a, b], "Op B") == []  # already there: nothing written
    assert ws.audit.count() == before + 1
    with pytest.raises(NotFound, match="no capture #99"):
        ws.cases.move([c, 99], "Op B")
    assert ws.captures.get(c).case == "Op A"  # nothing moved
    with pytest.raises(NotFound, match="no case named"):
        ws.cases.move([c], "Op Z")
    ws.cases.set_status("Op B", "closed")
    with pytest.raises(WorkstationError, match="'Op B' is closed"):
        ws.cases.move([c], "Op B")
    assert ws.captures.get(c).case == "Op A"
    report = ws.verify()
    assert report.ok, [p.message for p in report.problems]
    # a move outside the application is found by verify
    ws.conn.execute("UPDATE captures SET case_id = NULL WHERE id = ?", (a,))
    assert not ws.verify().ok


def test_view_and_timeline_with_packs_and_outcomes(
        sealed: Sealed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    import shutil
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b, c = sealed.template.captures
    ws_dir = tmp_path / "ws"
    shutil.copytree(sealed.ws, ws_dir)
    with open_ws(ws_dir) as ws:
        assert ws.exhibits.assign(a) == "AB/1"
        ws.outbox.send(sealed.ref, via="folder", to=str(tmp_path))
        answer = tmp_path / "answer.csv"
        answer.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                          f"{sealed.ref},{a},removed,,account banned\r\n"
                          f"{sealed.ref},{b},pending,,\r\n")
        ws.outcomes.import_file(answer)
        ws.cases.create("Op Land")
        ws.cases.move([c], "Op Land")

        view = ws.cases.view("op-sea")
        assert view.case.name == "op-sea" and view.case.capture_count == 2
        assert [(x.id, x.exhibit) for x in view.captures] == [(a, "AB/1"), (b, None)]
        assert view.captures[0].url == "https://www.tiktok.com/@boats_uk/video/7301"
        assert view.captures[0].platform == "tiktok"
        (pack,) = view.packs
        assert (pack.ref, pack.state, pack.platform) == (sealed.ref, "acknowledged", "tiktok")
        assert pack.sealed_at and pack.sent_at
        assert [(i.capture_id, i.exhibit, i.outcome, i.comment) for i in pack.items] == [
            (a, "AB/1", "removed", "account banned"), (b, None, "pending", None)]
        assert ws.cases.view("Op Land").packs == []

        events = ws.cases.timeline("op-sea")
        seqs = [e.seq for e in events]
        assert seqs == sorted(seqs)
        actions = [e.action for e in events]
        for action in ("case.create", "capture.import", "ocr.run", "exhibit.assign",
                       "pack.create", "pack.seal", "pack.send", "pack.outcomes", "case.move"):
            assert action in actions, action
        summaries = [e.summary for e in events]
        assert f"Capture #{a}: exhibit reference AB/1 assigned" in summaries
        assert f"Pack {sealed.ref} sealed" in summaries
        assert f"Captures #{c} moved to the case Op Land" in summaries
        land = [e.summary for e in ws.cases.timeline("Op Land")]
        assert f"Captures #{c} moved into the case" in land
        assert f"Pack {sealed.ref} sealed" not in land
        report = ws.verify()
        assert report.ok, [p.message for p in report.problems]
