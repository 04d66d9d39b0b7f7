"""The desktop app's icon and its log: ``ui.app.main`` shows the main window with the
application icon, and an unexpected error's dialog names the log file that holds it."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS
from ui import app
from ui.common.errors import message_for
from ui.common.prefs import Preferences
from ui.main.mainwindow import MainWindow
from workstation.logs import current_log_file

pytestmark = GUI_MARKS


@pytest.fixture(autouse=True)
def restore_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``main`` installs its own excepthook, shortens the GIL switch interval and
    freezes the heap (see ``ui.common.gcpolicy``): undo all three after each test."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)
    gc.unfreeze()


def test_the_icon_renders(qtbot: QtBot) -> None:
    icon = app.app_icon()
    assert not icon.isNull()
    assert not icon.pixmap(64, 64).toImage().isNull()


def test_main_shows_the_window_with_its_icon_and_logs_to_a_named_file(
        qtbot: QtBot, ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Icon Tester")
    monkeypatch.setenv("WORKSTATION_LOG_DIR", str(tmp_path / "logs"))
    seen: list[bool] = []

    def look() -> None:
        for top in QApplication.topLevelWidgets():
            if isinstance(top, MainWindow) and top.isVisible() and not top.session.tasks.busy:
                seen.append(top.windowIcon().isNull())
                top.close()

    timer = QTimer()
    timer.setInterval(30)
    timer.timeout.connect(look)
    timer.start()
    try:
        code = app.main(str(ws_path), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
    finally:
        timer.stop()
    assert code == 0 and seen and seen[0] is False  # a window icon, not a null one

    log = tmp_path / "logs" / "gui.log"
    assert current_log_file() == log
    assert "starting Analyst Workstation" in log.read_text()
    try:
        raise LookupError("a bug, marker-5512")
    except LookupError as exc:
        message = message_for(exc)
    assert str(log) in message and "Traceback" not in message
    text = log.read_text()
    assert "LookupError: a bug, marker-5512" in text and "Traceback" in text
