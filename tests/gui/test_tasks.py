"""The writer thread (``ui.common.tasks.TaskManager``) on a real workspace: results stream to
the GUI thread, edits run between the items of a long import, cancelling keeps
finished work, and failures become sentences."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.imagegen import make_image
from ui.common.tasks import Task, TaskManager
from workstation.errors import WorkstationError
from workstation.models import ImportResult
from workstation.workspace import Workspace

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_level_fail("WARNING")]


@pytest.fixture
def tasks(ws_path: Path) -> Iterator[TaskManager]:
    manager = TaskManager(Workspace.open(ws_path))
    yield manager
    manager.shutdown()


def images(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"{i:03}.png").write_bytes(make_image(seed=i, width=64, height=96))
    return folder


def test_stream_results_progress_and_quick_edit_between_items(
        qtbot: QtBot, tasks: TaskManager, tmp_path: Path) -> None:
    folder = images(tmp_path / "in", 30)
    batches: list[list[ImportResult]] = []
    progress_seen: list[int] = []
    tasks.progressChanged.connect(lambda t: progress_seen.append(t.progress.done))
    finished: dict[str, Any] = {}

    long = tasks.submit_stream(
        "Importing", lambda ws, progress, cancel: ws.intake.import_paths(
            [folder], progress=progress, cancel=cancel),
        on_items=batches.append, on_done=lambda r: finished.setdefault("import", r))
    qtbot.waitUntil(lambda: bool(batches))
    edit = tasks.submit("Notes", lambda ws, _t: ws.captures.set_notes(1, "edited mid-import"),
                        on_done=lambda c: finished.setdefault("edit", long.state),
                        cancellable=False)
    assert edit.quick
    qtbot.waitUntil(lambda: "import" in finished, timeout=30_000)

    assert finished["edit"] == "running"  # the edit did not wait for the import
    assert sum(len(b) for b in batches) == 30 and len(batches) > 1
    assert [r.status for r in finished["import"]] == ["imported"] * 30
    assert progress_seen and max(progress_seen) <= 30
    assert tasks.workspace.captures.get(1).notes == "edited mid-import"
    assert not tasks.busy


def test_cancel_keeps_what_landed_and_skips_queued(qtbot: QtBot, tasks: TaskManager,
                                                  tmp_path: Path) -> None:
    folder = images(tmp_path / "in", 40)
    landed: list[ImportResult] = []
    done: list[Any] = []
    first = tasks.submit_stream(
        "Importing", lambda ws, p, c: ws.intake.import_paths([folder], progress=p, cancel=c),
        on_items=landed.extend, on_done=done.append)
    queued = tasks.submit("Never", lambda ws, _t: pytest.fail("cancelled task ran"))
    qtbot.waitUntil(lambda: len(landed) >= 3)
    first.cancel()
    queued.cancel()
    qtbot.waitUntil(lambda: not tasks.busy, timeout=30_000)
    assert first.state == "cancelled" and queued.state == "cancelled"
    assert 3 <= len(done[0]) < 40 and len(done[0]) == len(landed)
    assert len(tasks.workspace.captures.all()) == len(landed)


def test_failures_become_sentences(qtbot: QtBot, tasks: TaskManager) -> None:
    errors: list[str] = []

    def bug(_ws: Workspace, _task: Task) -> None:
        raise KeyError("boom")

    def refused(_ws: Workspace, _task: Task) -> None:
        raise WorkstationError("The case 'X' is closed.")

    tasks.submit("Exporting", bug, on_error=errors.append)
    tasks.submit("Editing", refused, on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 2)
    assert errors[0].startswith("Exporting stopped because of an unexpected problem")
    assert "Traceback" not in errors[0]
    assert errors[1] == "The case 'X' is closed."


def test_emit_helper_keeps_true_alive(qtbot: QtBot) -> None:
    """PySide6 6.12.0's ``emit()`` drops a reference to ``True`` each call; the UI's
    ``emit`` helper must not, or a long session aborts in ``bool_dealloc``."""
    import sys

    from PySide6.QtCore import QObject, Signal

    from ui.common.qtutil import emit

    class Emitter(QObject):
        """Signals:
        fired(object): test signal.
        """

        fired = Signal(object)

    source = Emitter()
    got: list[object] = []
    source.fired.connect(got.append)
    before = sys.getrefcount(True)
    for i in range(5000):
        emit(source.fired, i)
    assert len(got) == 5000
    assert sys.getrefcount(True) >= before - 5  # the bug would make it before - 5000


def test_ui_emits_signals_only_through_the_helper() -> None:
    """Every signal emit in ui/ goes through ``ui.common.qtutil.emit`` (see the test above)."""
    import re

    from tests.conftest import ROOT

    direct = re.compile(r"\b(?!task\b)\w+\.emit\(")  # Task.emit is not a signal
    offenders = [f"{p.name}:{n}" for p in sorted((ROOT / "ui").glob("*.py"))
                 if p.name != "qtutil.py"
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if direct.search(line) and not line.lstrip().startswith("#")]
    assert offenders == []
