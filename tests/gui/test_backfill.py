"""The repost hashes of older captures, made when the window starts: in short batches on
the writer, so the analyst's edits run between two captures and other queued work
between two batches; with progress, and stopped by Cancel or by closing the window.

Deterministic: the first capture's hashing waits (on the writer) until the test has
queued its work, and every step is recorded in the order the writer ran it."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.imagegen import make_image
from ui import app
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.main import backfill
from ui.main.backfill import RegionBackfill
from ui.main.mainwindow import MainWindow
from workstation.storage.reposts_repo import RepostsRepo
from workstation.workspace import Workspace

pytestmark = GUI_MARKS
OLDER = 5


@pytest.fixture
def older_session(ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A workspace whose captures have no region hashes yet (as imported before 0005)."""
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")
    with Workspace.open(ws_path) as ws:
        for seed in range(OLDER):
            ws.intake.import_bytes(make_image(seed=seed), None, method="paste")
        with ws.ctx.write():
            for capture in ws.captures.all():
                RepostsRepo(ws.conn).set_regions(capture.id, [])
        assert len(ws.reading.regions_pending()) == OLDER
    monkeypatch.setattr(backfill, "BATCH", 2)
    # launch() shortens the GIL switch interval and freezes the heap: undone after.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    interval = sys.getswitchinterval()
    s = Session.open(ws_path)
    yield s
    s.close()
    sys.setswitchinterval(interval)
    gc.unfreeze()


class Writer:
    """Records, in order, what the writer runs; holds the first capture's hashing until
    :meth:`go`."""

    def __init__(self, session: Session) -> None:
        self.events: list[str] = []
        self.started = threading.Event()
        self._go = threading.Event()
        ws = session.tasks.workspace  # touched only by the writer from here on
        hash_regions, set_notes = ws.reading.hash_regions, ws.captures.set_notes

        def hooked_hash(capture_id: int) -> bool:
            self.events.append(f"hash {capture_id}")
            if not self.started.is_set():
                self.started.set()
                assert self._go.wait(30)
            return hash_regions(capture_id)

        def hooked_notes(capture_id: int, text: str) -> Any:
            self.events.append(f"notes {capture_id}")
            return set_notes(capture_id, text)

        ws.reading.hash_regions = hooked_hash  # type: ignore[method-assign]
        ws.captures.set_notes = hooked_notes  # type: ignore[method-assign]

    def go(self) -> None:
        self._go.set()


def start(qtbot: QtBot, session: Session, prefs: Preferences) -> tuple[MainWindow, Writer]:
    writer = Writer(session)
    window = app.launch(session, prefs)
    qtbot.addWidget(window)
    qtbot.waitUntil(writer.started.is_set, timeout=10_000)
    return window, writer


def the_backfill(window: MainWindow) -> RegionBackfill:
    found = window.findChild(RegionBackfill)
    assert isinstance(found, RegionBackfill)
    return found


def test_edits_and_queued_work_run_between_repost_hashes(
        qtbot: QtBot, older_session: Session, prefs: Preferences) -> None:
    window, writer = start(qtbot, older_session, prefs)
    run = the_backfill(window)
    # Progress over the whole run, with Cancel, while the first capture is hashed.
    qtbot.waitUntil(lambda: window.task_status.label.text().startswith(
        f"Repost hashes 1 of {OLDER}"))
    assert window.task_status.cancel_button.isEnabled()
    # The analyst edits a note, and starts other (long) work, meanwhile.
    window.ops.set_notes(1, "checked against the original")
    window.ops.run("Other work", lambda _ws, _task: writer.events.append("other work"),
                   cancellable=True)
    finished: list[int] = []
    run.finished.connect(finished.append)
    writer.go()
    wait_idle(qtbot, window)
    assert writer.events == ["hash 1", "notes 1", "hash 2", "other work",
                             "hash 3", "hash 4", "hash 5"]
    assert finished == [OLDER] and not run.running
    assert older_session.reader.reading.regions_pending() == []
    assert older_session.reader.captures.get(1).notes == "checked against the original"
    assert not window.task_status.isVisible()
    window.close()


@pytest.mark.parametrize("how", ["cancel", "close"])
def test_cancel_or_closing_the_window_stops_the_repost_hashes(
        qtbot: QtBot, older_session: Session, prefs: Preferences, how: str) -> None:
    window, writer = start(qtbot, older_session, prefs)
    run = the_backfill(window)
    finished: list[int] = []
    run.finished.connect(finished.append)
    if how == "cancel":
        window.task_status.cancel()
    else:
        window.close()
    writer.go()
    qtbot.waitUntil(lambda: not older_session.tasks.busy)
    # The capture being hashed is finished and kept; no further batch is queued.
    assert writer.events == ["hash 1"] and finished == [1] and not run.running
    assert older_session.reader.reading.regions_pending() == [2, 3, 4, 5]
    window.close()
