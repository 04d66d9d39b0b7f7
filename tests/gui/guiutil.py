"""What the desktop-app tests share: their markers, a main window on a fresh real
workspace (fixtures ``prefs``, ``session``, ``window``), waiting for the writer,
and answering the passphrase dialog.

The fixtures reach every test under tests/gui/ through tests/gui/conftest.py; a GUI
test module marks itself::

    from tests.gui.guiutil import GUI_MARKS, wait_idle
    pytestmark = GUI_MARKS

Secrets always use the passphrase-encrypted file store (never a developer's
keyring); the passphrase is asked for in the app's own dialog.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from ui.common.passphrase import PassphraseDialog
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.main.mainwindow import MainWindow

GUI_MARKS = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    # The offscreen platform cannot raise windows or pass size hints; harmless.
    pytest.mark.qt_log_ignore("This plugin does not support"),
]
PASSPHRASE = "correct horse battery"


@pytest.fixture
def restore_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``ui.app.main`` installs its own excepthook, shortens the GIL switch interval
    and freezes the heap (see ``ui.common.gcpolicy``): undo all three after the test."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)
    gc.unfreeze()


@pytest.fixture
def prefs(tmp_path: Path) -> Preferences:
    p = Preferences.at(str(tmp_path / "ui.ini"))
    p.auto_ocr = False
    p.ask_details = False
    return p


@pytest.fixture
def session(ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")  # before the writer opens it
    s = Session.open(ws_path)
    yield s
    s.close()


@pytest.fixture
def window(qtbot: QtBot, session: Session, prefs: Preferences) -> Iterator[MainWindow]:
    w = MainWindow(session, prefs)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.passphrases.close()  # a writer still waiting for a passphrase gives up
    wait_idle(qtbot, w)
    for top in QApplication.topLevelWidgets():
        if top is not w and top.isVisible():
            top.close()
    w.close()
    w.deleteLater()


def wait_idle(qtbot: QtBot, w: MainWindow, timeout: int = 30_000) -> None:
    """Wait until the writer has no task queued or running."""
    qtbot.waitUntil(lambda: not w.session.tasks.busy, timeout=timeout)


def answer_passphrase(qtbot: QtBot, dialog: object, passphrase: str = PASSPHRASE) -> None:
    """Type ``passphrase`` (twice when one is being chosen) and press OK."""
    assert isinstance(dialog, PassphraseDialog) and dialog.objectName() == "passphraseDialog"
    qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase"), passphrase)
    again = dialog.findChild(QLineEdit, "passphraseAgain")
    if again is not None:
        qtbot.keyClicks(again, passphrase)
    dialog.accept()


def answer_next_passphrase(qtbot: QtBot, w: MainWindow, passphrase: str = PASSPHRASE) -> None:
    """Wait for the window's passphrase dialog, then answer it."""
    qtbot.waitUntil(lambda: w.passphrases.dialog is not None, timeout=10_000)
    answer_passphrase(qtbot, w.passphrases.dialog, passphrase)
