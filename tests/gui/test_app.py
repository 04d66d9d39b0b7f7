"""Starting the desktop app with ``ui.app.main``: clear dialogs instead of tracebacks
when the workspace cannot be opened, and the analyst's name asked on first start."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QInputDialog,
    QMessageBox,
    QProgressDialog,
    QPushButton,
)
from pytestqt.qtbot import QtBot

from ui import app
from ui.common.prefs import Preferences
from ui.main.mainwindow import MainWindow
from ui.packs.issuer import IssuerDialog
from ui.setup.wizard import FirstStartWizard
from workstation.storage.db import latest_schema_version
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


class Answerer:
    """Answers the dialogs ``main`` shows (it blocks in them, as with a real user)."""

    def __init__(self, analyst: str | None = None,
                 issuer: dict[str, str] | None = None) -> None:
        self.messages: list[str] = []
        self.key_offers: list[str] = []
        self.issuer_asks = 0
        self.setups = 0
        self.analyst = analyst
        self.issuer = issuer
        self.window_seen = False
        self._timer = QTimer()
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, FirstStartWizard):  # the setup (test_first_start.py): later
            self.setups += 1
            modal.done(0)
            return
        if isinstance(modal, IssuerDialog):
            if modal.buttons.isEnabled():  # not while it is being saved
                self.issuer_asks += 1
                if self.issuer is None:
                    later = modal.findChild(QPushButton, "issuerLater")
                    assert later is not None
                    later.click()
                else:
                    for key, value in self.issuer.items():
                        modal.fields[key].setText(value)
                    modal.buttons.button(QDialogButtonBox.StandardButton.Save).click()
            return
        if isinstance(modal, QMessageBox) and modal.objectName() == "keyOfferBox":
            self.key_offers.append(modal.text())
            later = modal.findChild(QPushButton, "keysLater")
            assert later is not None
            later.click()
        elif isinstance(modal, QMessageBox):
            self.messages.append(modal.text())
            modal.accept()
        elif isinstance(modal, QInputDialog):
            modal.setTextValue(self.analyst or "")
            modal.accept()
        if QApplication.activeModalWidget() is not None:
            return
        for top in QApplication.topLevelWidgets():
            if isinstance(top, MainWindow) and top.isVisible() and not top.session.tasks.busy:
                self.window_seen = True
                top.close()

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture(autouse=True)
def _every_test_restores_process_state(restore_process_state: None) -> None:
    """Each test here runs ``main``: the shared fixture undoes what it changes."""


def test_workspace_in_use_is_explained(qtbot: QtBot, ws_path: Path, tmp_path: Path) -> None:
    holder = Workspace.open(ws_path)
    answer = Answerer()
    try:
        code = app.main(str(ws_path), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
    finally:
        answer.stop()
        holder.close()
    assert code == 1
    assert len(answer.messages) == 1
    assert "in use" in answer.messages[0] and "Traceback" not in answer.messages[0]


def test_newer_schema_is_explained(qtbot: QtBot, ws_path: Path, tmp_path: Path) -> None:
    Workspace.open(ws_path).close()
    with sqlite3.connect(ws_path / "workspace.db") as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    answer = Answerer()
    try:
        code = app.main(str(ws_path), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
    finally:
        answer.stop()
    assert code == 1
    assert "newer" in answer.messages[0] and "999" in answer.messages[0]


# The first start (the guided setup over the window) is tested in test_first_start.py.


def test_the_folder_chosen_in_settings_is_opened_at_the_next_start(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Dana Analyst")
    monkeypatch.delenv("WORKSTATION_HOME", raising=False)
    prefs = Preferences.at(str(tmp_path / "ui.ini"))
    chosen = tmp_path / "elsewhere" / "ws"
    prefs.workspace_location = str(chosen)
    assert app.start_workspace("/given", prefs) == "/given"  # --workspace wins
    answer = Answerer()
    try:
        code = app.main(None, [], prefs=prefs)
    finally:
        answer.stop()
    assert code == 0 and answer.window_seen and answer.key_offers == []
    assert (chosen / "workspace.db").is_file()
    monkeypatch.setenv("WORKSTATION_HOME", str(tmp_path / "home"))
    assert app.start_workspace(None, prefs) is None  # the core opens $WORKSTATION_HOME


class ProgressSpy(QObject):
    """Records the text of every progress dialog shown (however briefly)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self._seen: set[int] = set()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # one entry per dialog: a loaded machine can show the same dialog twice
        if (event.type() == QEvent.Type.Show and isinstance(watched, QProgressDialog)
                and id(watched) not in self._seen):
            self._seen.add(id(watched))
            self.labels.append(watched.labelText())
        return False


def test_an_old_workspace_is_upgraded_behind_a_progress_dialog(
        qtbot: QtBot, tmp_path: Path) -> None:
    from tests.core.storage.test_migrations import FIXTURES, copy_fixture

    old = copy_fixture(FIXTURES / "v3", tmp_path / "v3")
    assert Workspace.pending_upgrade(old) == (3, latest_schema_version())
    spy = ProgressSpy()
    QApplication.instance().installEventFilter(spy)
    answer = Answerer()
    try:
        code = app.main(str(old), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
    finally:
        answer.stop()
        QApplication.instance().removeEventFilter(spy)
    assert code == 0 and answer.window_seen and answer.messages == []
    upgrades = [label for label in spy.labels if label.startswith("Upgrading the workspace")]
    assert len(upgrades) == 1, spy.labels
    assert f"from version 3 to {latest_schema_version()}" in upgrades[0]
    assert Workspace.pending_upgrade(old) is None
    with Workspace.open(old, readonly=True) as ws:
        assert ws.status().schema_version == latest_schema_version()
        assert [h.capture_id for h in ws.reading.search("edited")] == [2]
