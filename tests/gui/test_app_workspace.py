"""The window's start on a workspace that lost its database, or was rolled back below
its audit anchor: a clear dialog, nothing recreated or written."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.test_app import Answerer
from ui import app
from ui.common.prefs import Preferences
from workstation.workspace import Workspace

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


@pytest.fixture(autouse=True)
def restore_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``main`` installs its own excepthook and shortens the GIL switch interval."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)


def _start(ws_path: Path, tmp_path: Path) -> tuple[int, Answerer]:
    answer = Answerer()
    try:
        code = app.main(str(ws_path), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
    finally:
        answer.stop()
    return code, answer


def test_a_missing_database_is_explained_not_recreated(
        qtbot: QtBot, ws_path: Path, tmp_path: Path) -> None:
    Workspace.open(ws_path).close()
    (ws_path / "workspace.db").unlink()
    code, answer = _start(ws_path, tmp_path)
    assert code == 1 and not answer.window_seen
    assert len(answer.messages) == 1 and "workspace.db is missing" in answer.messages[0]
    assert not (ws_path / "workspace.db").exists()


def test_a_rolled_back_database_is_explained_and_left_alone(
        qtbot: QtBot, ws_path: Path, tmp_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        ws.cases.create("Op Kept")
    saved = (ws_path / "workspace.db").read_bytes()
    with Workspace.open(ws_path) as ws:
        ws.cases.create("Op Lost")
    (ws_path / "workspace.db").write_bytes(saved)
    code, answer = _start(ws_path, tmp_path)
    assert code == 1 and not answer.window_seen
    assert len(answer.messages) == 1
    assert "does not match its audit anchor" in answer.messages[0]
    assert "acknowledge-rollback" in answer.messages[0]
    assert (ws_path / "workspace.db").read_bytes() == saved
