"""A workspace encrypted at rest, in the window (ui/common/unlock.py): its passphrase
is asked for before it is opened (a wrong one refused in the dialog and asked again,
Cancel opens nothing), and Workspace → Change passphrase… rewraps its key on the
writer.  Real encrypted workspaces, real dialogs, driven with the keyboard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.gui.test_first_start import (
    ALT,
    focus_is,
    focused,
    open_setup,
    page_is,
    press,
    typed,
    unknown_analyst,
)
from ui import app
from ui.common.passphrase import PassphraseDialog
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.common.unlock import WRONG, ChangePassphraseDialog
from ui.main.mainwindow import MainWindow
from workstation.crypto import unlock
from workstation.crypto.secretstore import WrongPassphrase
from workstation.workspace import Workspace

pytestmark = GUI_MARKS
__all__ = ["unknown_analyst"]  # a fixture of the first-start tests, used here too
SECRET = "open sesame seven"
NEW_SECRET = "a new passphrase nine"


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys are cached in this process only (never a developer's keyring)."""
    monkeypatch.setattr(unlock, "secure_keyring", lambda: None)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")


@pytest.fixture
def locked(ws_path: Path) -> Iterator[Path]:
    """A real encrypted workspace whose key this process has forgotten."""
    Workspace.create_encrypted(ws_path, SECRET).close()
    unlock.forget(ws_path)
    assert unlock.cached_key(ws_path) is None
    yield ws_path
    unlock.forget(ws_path)


class UnlockAnswerer:
    """Answers the unlock dialog with each of ``answers`` in turn (``None``: Cancel,
    with Escape), pressing Enter in the passphrase field; records what it said."""

    def __init__(self, qtbot: QtBot, answers: list[str | None]) -> None:
        self.qtbot = qtbot
        self.answers = list(answers)
        self.problems: list[str] = []
        self.masked = True
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, PassphraseDialog) or modal.objectName() != "unlockDialog":
            return
        field = modal.findChild(QLineEdit, "passphrase")
        assert field is not None
        self.masked &= field.echoMode() == QLineEdit.EchoMode.Password
        answer = self.answers.pop(0)
        if answer is None:
            self.qtbot.keyClick(field, Qt.Key.Key_Escape)
            return
        field.setFocus()
        self.qtbot.keyClicks(field, answer)
        self.qtbot.keyClick(field, Qt.Key.Key_Return)
        problem = modal.findChild(QLabel, "passphraseProblem")
        if modal.isVisible() and problem is not None:
            self.problems.append(problem.text())

    def stop(self) -> None:
        self._timer.stop()


def _open(qtbot: QtBot, path: Path, answers: list[str | None]
          ) -> tuple[Session | None, UnlockAnswerer]:
    answerer = UnlockAnswerer(qtbot, answers)
    try:
        session = app.open_session(str(path))
    finally:
        answerer.stop()
    return session, answerer


def test_a_wrong_passphrase_is_refused_then_the_right_one_opens(
        qtbot: QtBot, locked: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in locked.iterdir()}
    session, answerer = _open(qtbot, locked, ["not it", SECRET])
    assert session is not None
    try:
        assert answerer.answers == [] and answerer.masked
        assert answerer.problems == [WRONG]
        assert session.reader.encrypted  # the reader and background opened unasked
        assert session.read_in_background(lambda ws: ws.encrypted)
    finally:
        session.close()
    assert {p.name for p in locked.iterdir()} >= set(before)


def test_cancel_opens_nothing(qtbot: QtBot, locked: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in locked.iterdir()}
    session, answerer = _open(qtbot, locked, ["still wrong", None])
    assert session is None and answerer.answers == []
    assert answerer.problems == [WRONG]
    assert {p.name: p.stat().st_mtime_ns for p in locked.iterdir()} == before
    assert unlock.cached_key(locked) is None


def test_main_leaves_cleanly_when_cancelled(
        qtbot: QtBot, locked: Path, tmp_path: Path, restore_process_state: None) -> None:
    answerer = UnlockAnswerer(qtbot, [None])
    try:
        code = app.main(str(locked), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
    finally:
        answerer.stop()
    assert code == 1 and answerer.answers == []
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible()]


def test_a_known_key_opens_without_asking(qtbot: QtBot, locked: Path) -> None:
    unlock.data_key(locked, SECRET)  # unlocked earlier in this process
    session, answerer = _open(qtbot, locked, [None])
    assert session is not None and answerer.answers == [None]  # never asked
    session.close()


# ------------------------------------------------------------ change passphrase
@pytest.fixture
def encrypted_window(qtbot: QtBot, locked: Path, prefs: Preferences
                     ) -> Iterator[MainWindow]:
    unlock.data_key(locked, SECRET)
    session = Session.open(locked)
    w = MainWindow(session, prefs)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.passphrases.close()
    wait_idle(qtbot, w)
    w.close()
    w.deleteLater()
    session.close()


def _change_dialog(qtbot: QtBot, w: MainWindow) -> ChangePassphraseDialog:
    qtbot.keyClick(w, Qt.Key.Key_U,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    found: list[ChangePassphraseDialog] = []

    def shown() -> bool:
        found[:] = [d for d in w.findChildren(ChangePassphraseDialog) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown)
    # the keys typed next go to the dialog, not to the window's own shortcuts
    qtbot.waitUntil(lambda: QApplication.activeWindow() is found[0])
    return found[0]


def _fill(qtbot: QtBot, dialog: QDialog, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = dialog.findChild(QLineEdit, name)
        assert field is not None and field.echoMode() == QLineEdit.EchoMode.Password
        field.clear()
        qtbot.keyClicks(field, value)
    last = dialog.findChild(QLineEdit, "newPassphraseAgain")
    assert last is not None
    qtbot.keyClick(last, Qt.Key.Key_Return)


def _problem(dialog: QDialog) -> Callable[[], str]:
    label = dialog.findChild(QLabel, "changePassphraseProblem")
    assert label is not None
    return label.text


def test_change_passphrase(qtbot: QtBot, encrypted_window: MainWindow, locked: Path) -> None:
    w = encrypted_window
    assert w.acts.passphrase.isEnabled()
    dialog = _change_dialog(qtbot, w)
    problem = _problem(dialog)
    _fill(qtbot, dialog, {"oldPassphrase": SECRET, "newPassphrase": NEW_SECRET,
                          "newPassphraseAgain": "different"})
    assert "differ" in problem() and dialog.isVisible()
    _fill(qtbot, dialog, {"oldPassphrase": "wrong one", "newPassphrase": NEW_SECRET,
                          "newPassphraseAgain": NEW_SECRET})
    qtbot.waitUntil(lambda: "wrong" in problem(), timeout=30_000)
    assert dialog.isVisible() and dialog.buttons.isEnabled()
    messages: list[str] = []
    w.statusBar().messageChanged.connect(messages.append)
    _fill(qtbot, dialog, {"oldPassphrase": SECRET, "newPassphrase": NEW_SECRET,
                          "newPassphraseAgain": NEW_SECRET})
    qtbot.waitUntil(lambda: any("passphrase was changed" in m for m in messages),
                    timeout=30_000)
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible())
    wait_idle(qtbot, w)
    assert any(e.action == "workspace.passphrase" for e in w.session.reader.audit_entries())
    unlock.forget(locked)
    with pytest.raises(WrongPassphrase):
        Workspace.open(locked, readonly=True, passphrase=SECRET)
    Workspace.open(locked, readonly=True, passphrase=NEW_SECRET).close()


def test_change_passphrase_is_disabled_for_a_plain_workspace(window: MainWindow) -> None:
    assert not window.acts.passphrase.isEnabled()
    assert window.acts.passphrase.shortcut().toString() == "Ctrl+Shift+U"


# ------------------------------------------------------------ first-start setup
@pytest.mark.usefixtures("unknown_analyst")
def test_the_first_start_can_make_the_next_workspace_encrypted(
        qtbot: QtBot, window: MainWindow, prefs: Preferences, tmp_path: Path) -> None:
    wizard = open_setup(qtbot, window, prefs)
    typed(qtbot, "Enc Analyst")
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupIssuer")
    press(qtbot, Qt.Key.Key_Return)  # skipped
    page_is(qtbot, wizard, "setupKeys")
    focus_is(qtbot, wizard.keys.passphrase)
    press(qtbot, Qt.Key.Key_S, ALT)  # keys later
    qtbot.waitUntil(wizard.keys.skip.isChecked)
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupReading")
    focus_is(qtbot, wizard.reading.automatic)
    press(qtbot, Qt.Key.Key_Return)

    page = wizard.workspace
    page_is(qtbot, wizard, "setupWorkspace")
    focus_is(qtbot, page.next_folder)
    choice = page.encrypt
    assert not choice.box.isChecked() and not choice.passphrase.isEnabled()  # the default
    press(qtbot, Qt.Key.Key_E, ALT)  # tick "Encrypt the new workspace"
    qtbot.waitUntil(choice.box.isChecked)
    press(qtbot, Qt.Key.Key_Return)  # no folder given
    assert wizard.currentPage() is page and "Give the folder" in page.problem.text()
    target = tmp_path / "secret-ws"
    assert focused() is page.next_folder
    typed(qtbot, str(target))
    press(qtbot, Qt.Key.Key_Return)  # no passphrase
    assert wizard.currentPage() is page and "Type the passphrase" in page.problem.text()
    assert focused() is choice.passphrase
    assert choice.passphrase.echoMode() == QLineEdit.EchoMode.Password
    typed(qtbot, SECRET)
    press(qtbot, Qt.Key.Key_G, ALT)
    typed(qtbot, SECRET + "x")
    press(qtbot, Qt.Key.Key_Return)  # they differ
    assert wizard.currentPage() is page and "differ" in page.problem.text()
    assert not Workspace.is_encrypted(target)
    assert focused() is choice.again
    typed(qtbot, SECRET)
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupSummary")
    assert "encrypted" in wizard.summary.text.text() and SECRET not in wizard.summary.text.text()
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not isValid(wizard) or not wizard.isVisible())
    wait_idle(qtbot, window)
    assert prefs.workspace_location == str(target)
    assert SECRET not in Path(prefs.settings.fileName()).read_text(encoding="utf-8")
    assert Workspace.is_encrypted(target) and not window.session.reader.encrypted
    unlock.forget(target)  # as at the next start: the window asks for its passphrase
    session, answerer = _open(qtbot, target, [SECRET + "x", SECRET])
    assert session is not None
    try:
        assert answerer.answers == [] and answerer.problems == [WRONG]
        assert session.path == Workspace.resolve(target) and session.reader.encrypted
        opened = MainWindow(session, prefs)
        opened.show()
        qtbot.waitExposed(opened)
        assert opened.acts.passphrase.isEnabled()
        opened.passphrases.close()
        wait_idle(qtbot, opened)
        opened.close()
        opened.deleteLater()
    finally:
        session.close()
        unlock.forget(target)
