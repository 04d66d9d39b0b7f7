"""The first-start setup (ui/setup): driven with the keyboard only on a real workspace —
the analyst's name, the issuer identity, the agency keys (real key creation, the
passphrase typed on the page), the OCR languages (the real installed Tesseract data),
the region hints and the folder for the next start; each stored through the writer
and audited.  Skipped steps are said to be skipped, refused values keep the step with
the core's sentence, Escape asks first, and ``ui.app.main`` shows the setup on the
first start only."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from tests.gui.guiutil import GUI_MARKS, PASSPHRASE, wait_idle
from tests.issuer import TEST_ISSUER
from ui import app
from ui.common.prefs import Preferences
from ui.main.mainwindow import MainWindow
from ui.setup.wizard import FirstStartWizard, show_first_start
from workstation.packs.issuer import ISSUER_KEYS, issuer_values, missing_issuer
from workstation.settings import InvalidSetting, check
from workstation.workspace import Workspace

pytestmark = GUI_MARKS
ALT = Qt.KeyboardModifier.AltModifier


# ------------------------------------------------------------------ keyboard
def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def typed(qtbot: QtBot, text: str) -> None:
    """Type ``text`` into the focused widget (replacing what is selected)."""
    qtbot.keyClicks(focused(), text)


def press(qtbot: QtBot, key: Qt.Key,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press on the focused widget (Enter, Tab, Alt+letter, Escape ...)."""
    qtbot.keyClick(focused(), key, modifier)


def page_is(qtbot: QtBot, wizard: FirstStartWizard, name: str) -> None:
    qtbot.waitUntil(lambda: wizard.currentPage().objectName() == name, timeout=60_000)


def focus_is(qtbot: QtBot, widget: QWidget) -> None:
    """Wait for the cursor to reach ``widget`` (a page puts it on its field once shown)."""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def open_setup(qtbot: QtBot, window: MainWindow, prefs: Preferences) -> FirstStartWizard:
    wizard = show_first_start(window.session, window.ops, prefs,
                              passphrases=window.passphrases, notify=window.notify,
                              parent=window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    qtbot.waitUntil(lambda: wizard.keys.store_known and wizard.reading.languages_listed,
                    timeout=30_000)
    focus_is(qtbot, wizard.analyst.name)  # the first field, ready to type
    return wizard


@pytest.fixture
def unknown_analyst(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """The analyst is not known, as at a first start: no ``$WORKSTATION_ANALYST`` (set
    by the session fixture), no name stored."""
    monkeypatch.delenv("WORKSTATION_ANALYST")


def settings_set(ws: Workspace) -> dict[str, str]:
    """The last value audited for each setting stored (``settings.set``)."""
    return {e.details["key"]: e.details["new"] for e in ws.audit_entries()
            if e.action == "settings.set"}


# --------------------------------------------------------------------- tests
@pytest.mark.usefixtures("unknown_analyst")
def test_the_whole_setup_by_keyboard_stores_everything(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    wizard = open_setup(qtbot, window, prefs)
    typed(qtbot, "Dana Analyst")  # the OS user's name is offered, selected
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupIssuer")
    focus_is(qtbot, wizard.issuer.fields["agency_name"])
    for index, key in enumerate(ISSUER_KEYS):
        if index:
            press(qtbot, Qt.Key.Key_Tab)
        assert focused() is wizard.issuer.fields[key]
        typed(qtbot, TEST_ISSUER[key])
    press(qtbot, Qt.Key.Key_N, ALT)  # Alt+N: Next

    page_is(qtbot, wizard, "setupKeys")
    focus_is(qtbot, wizard.keys.passphrase)
    assert not wizard.keys.keyring.isVisible()  # the test store is the file store
    typed(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Tab)
    typed(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Return)  # the keys are made on the writer; the page moves on

    page_is(qtbot, wizard, "setupReading")
    focus_is(qtbot, wizard.reading.automatic)
    assert wizard.reading.automatic.isChecked()
    press(qtbot, Qt.Key.Key_Y, ALT)  # Only the languages ticked below
    qtbot.waitUntil(wizard.reading.chosen.isChecked)  # a mnemonic's click is animated
    for code in ("ara", "eng"):  # tick two installed languages with Tab and Space
        while focused() is not wizard.reading.languages[code]:
            press(qtbot, Qt.Key.Key_Tab)
        press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_H, ALT)  # the region hints
    assert focused() is wizard.reading.region_hints
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    typed(qtbot, "gb iq")
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupWorkspace")
    assert wizard.workspace.path.text() == str(window.session.path)
    focus_is(qtbot, wizard.workspace.next_folder)
    press(qtbot, Qt.Key.Key_Return)  # keep opening the default folder

    page_is(qtbot, wizard, "setupSummary")
    focus_is(qtbot, wizard.summary.text)  # read first by a screen reader
    summary = wizard.summary.text.text()
    for said in ("Dana Analyst", "Test Police Service", "outcomes@police.example",
                 "Agency keys: created", "Arabic (ara), English (eng)", "GB, IQ",
                 str(window.session.path), "Workspace → Settings"):
        assert said in summary
    assert "Skipped" not in summary
    press(qtbot, Qt.Key.Key_F, ALT)  # Finish
    qtbot.waitUntil(lambda: not isValid(wizard) or not wizard.isVisible())
    wait_idle(qtbot, window)

    reader = window.session.reader
    assert reader.setting("analyst") == "Dana Analyst"
    assert issuer_values(reader) == TEST_ISSUER
    assert reader.setting("ocr_languages") == "ara+eng"
    assert reader.setting("region_hints") == "GB,IQ"
    assert prefs.workspace_location == ""
    signing = [k for k in reader.keys.all() if k.kind == "signing"]
    assert len(signing) == 1 and signing[0].created_by == "Dana Analyst"
    audited = settings_set(reader)
    assert audited["analyst"] == "Dana Analyst" and audited["ocr_languages"] == "ara+eng"
    assert {k: audited[k] for k in ISSUER_KEYS} == TEST_ISSUER
    # The keys went to the passphrase-encrypted files, with the passphrase typed here.
    assert list((window.session.path / "secrets").glob("*.age"))
    assert "Dana Analyst" in window.windowTitle()


@pytest.mark.usefixtures("unknown_analyst")
def test_a_skipped_run_leaves_the_issuer_and_keys_unset_and_says_so(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    wizard = open_setup(qtbot, window, prefs)
    typed(qtbot, "Sam Analyst")
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupIssuer")
    focus_is(qtbot, wizard.issuer.fields["agency_name"])
    intro = wizard.issuer.intro.text()
    assert "You can skip this" in intro and "cannot be sealed" in intro
    press(qtbot, Qt.Key.Key_Return)  # every field empty: skipped
    page_is(qtbot, wizard, "setupKeys")
    focus_is(qtbot, wizard.keys.passphrase)
    assert "You can skip this" in wizard.keys.intro.text()
    typed(qtbot, PASSPHRASE)  # typed, then the analyst changes their mind
    press(qtbot, Qt.Key.Key_S, ALT)  # Skip: create them later
    qtbot.waitUntil(wizard.keys.skip.isChecked)
    assert not wizard.keys.passphrase.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupReading")
    assert wizard.keys.passphrase.text() == ""  # not kept in a hidden field
    focus_is(qtbot, wizard.reading.automatic)
    press(qtbot, Qt.Key.Key_Return)  # the defaults
    page_is(qtbot, wizard, "setupWorkspace")
    focus_is(qtbot, wizard.workspace.next_folder)
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupSummary")
    focus_is(qtbot, wizard.summary.text)  # read first by a screen reader
    summary = wizard.summary.text.text()
    skipped = summary.split("Skipped (set it up later):")[1]
    assert "Issuer identity: skipped" in skipped and "cannot be sealed" in skipped
    assert "Agency keys: skipped" in skipped and "Contacts and keys" in skipped
    assert "Sam Analyst" in summary.split("Skipped")[0]
    assert "OCR languages: automatic" in summary
    press(qtbot, Qt.Key.Key_Escape)  # on the summary, everything is stored: finished
    qtbot.waitUntil(lambda: not isValid(wizard) or not wizard.isVisible())
    wait_idle(qtbot, window)
    assert "The setup is done" in window.statusBar().currentMessage()

    reader = window.session.reader
    assert reader.setting("analyst") == "Sam Analyst"
    assert missing_issuer(reader) == list(ISSUER_KEYS)
    assert reader.keys.all() == []
    # Unchanged defaults are not stored (nor audited).
    assert reader.setting("ocr_languages") is None and reader.setting("region_hints") is None
    assert set(settings_set(reader)) == {"analyst"}


def refusal(key: str, value: str) -> str:
    with pytest.raises(InvalidSetting) as refused:
        check(key, value)
    return str(refused.value)


@pytest.mark.usefixtures("unknown_analyst")
def test_refused_values_keep_the_step_with_the_cores_sentence(
        qtbot: QtBot, window: MainWindow, prefs: Preferences, tmp_path: Path) -> None:
    wizard = open_setup(qtbot, window, prefs)
    press(qtbot, Qt.Key.Key_Delete)  # the offered name, selected, removed
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.analyst
    assert wizard.analyst.problem.isVisible()
    assert wizard.analyst.problem.text() == refusal("analyst", "")
    typed(qtbot, "Dana Analyst")
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupIssuer")
    focus_is(qtbot, wizard.issuer.fields["agency_name"])
    press(qtbot, Qt.Key.Key_R, ALT)  # the reply address
    assert focused() is wizard.issuer.fields["reply_to"]
    typed(qtbot, "outcomes at police")
    press(qtbot, Qt.Key.Key_N, ALT)
    problem = wizard.findChild(QLabel, "setupIssuerProblem")
    assert problem is not None
    qtbot.waitUntil(problem.isVisible)  # Alt+N's click is animated
    assert wizard.currentPage() is wizard.issuer  # Next refused
    assert problem.text() == refusal("reply_to", "outcomes at police")
    assert focused() is wizard.issuer.fields["reply_to"]  # selected, to type again
    typed(qtbot, "outcomes@police.example")
    press(qtbot, Qt.Key.Key_Return)  # only the reply address given: the rest later

    page_is(qtbot, wizard, "setupKeys")
    focus_is(qtbot, wizard.keys.passphrase)
    typed(qtbot, "short")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.keys
    assert "at least 8 characters" in wizard.keys.problem.text()
    typed(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Tab)
    typed(qtbot, PASSPHRASE + "x")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.keys and "differ" in wizard.keys.problem.text()
    assert focused() is wizard.keys.again
    press(qtbot, Qt.Key.Key_S, ALT)
    qtbot.waitUntil(wizard.keys.skip.isChecked)
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupReading")
    focus_is(qtbot, wizard.reading.automatic)
    press(qtbot, Qt.Key.Key_Y, ALT)  # languages chosen, none ticked
    qtbot.waitUntil(wizard.reading.chosen.isChecked)
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.reading
    assert wizard.reading.problem.text() == "Tick at least one language, or choose Automatic."
    press(qtbot, Qt.Key.Key_A, ALT)  # Automatic after all
    qtbot.waitUntil(wizard.reading.automatic.isChecked)
    press(qtbot, Qt.Key.Key_H, ALT)
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    typed(qtbot, "GB,XX")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.reading
    assert wizard.reading.problem.text() == refusal("region_hints", "GB,XX")
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_Delete)  # empty: the default hints
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupWorkspace")
    focus_is(qtbot, wizard.workspace.next_folder)
    typed(qtbot, "relative/folder")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentPage() is wizard.workspace
    assert "not a full folder path" in wizard.workspace.problem.text()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    typed(qtbot, str(tmp_path / "next-ws"))
    press(qtbot, Qt.Key.Key_Return)

    page_is(qtbot, wizard, "setupSummary")
    focus_is(qtbot, wizard.summary.text)  # read first by a screen reader
    summary = wizard.summary.text.text()
    assert "Issuer identity: incomplete, missing agency name" in summary
    assert str(tmp_path / "next-ws") in summary
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not isValid(wizard) or not wizard.isVisible())
    wait_idle(qtbot, window)
    reader = window.session.reader
    assert reader.setting("reply_to") == "outcomes@police.example"
    assert missing_issuer(reader) == [k for k in ISSUER_KEYS if k != "reply_to"]
    assert reader.keys.all() == [] and reader.setting("region_hints") is None
    assert prefs.workspace_location == str(tmp_path / "next-ws")


@pytest.mark.usefixtures("unknown_analyst")
def test_escape_asks_before_leaving_the_setup_for_later(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    wizard = open_setup(qtbot, window, prefs)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: wizard.later_box is not None and wizard.later_box.isVisible())
    box = wizard.later_box
    assert box is not None and box.objectName() == "setupLaterBox"
    assert box.text() == "Set up the rest later?"
    assert "shown again at the next start" in box.informativeText()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is box)
    press(qtbot, Qt.Key.Key_Escape)  # Escape again: back to the setup
    qtbot.waitUntil(lambda: wizard.later_box is None)
    assert wizard.isVisible() and wizard.currentPage() is wizard.analyst
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: wizard.later_box is not None and wizard.later_box.isVisible())
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard.later_box)
    press(qtbot, Qt.Key.Key_Return)  # Set up later
    qtbot.waitUntil(lambda: not isValid(wizard) or not wizard.isVisible())
    wait_idle(qtbot, window)
    assert window.session.reader.setting("analyst") is None  # asked again next time
    assert "Setup left for later" in window.statusBar().currentMessage()


# ------------------------------------------------------------- ui.app.main
class SetupAnswerer:
    """Watches ``main``: gives the name on the setup's first step, leaves the rest for
    later, then closes the main window once it is idle."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.setups = 0
        self.window_seen = False
        self._timer = QTimer()
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, FirstStartWizard):
            if modal.currentPage() is modal.analyst:
                self.setups += 1
                modal.analyst.name.setText(self.name)
                modal.next()
            elif modal.later_box is None:
                modal.reject()
            return
        if modal is not None and modal.objectName() == "setupLaterBox":
            focus = modal.focusWidget()
            assert focus is not None and focus.objectName() == "setupLaterYes"
            modal.findChild(QWidget, "setupLaterYes").click()  # type: ignore[union-attr]
            return
        if modal is not None:
            return
        for top in QApplication.topLevelWidgets():
            if isinstance(top, MainWindow) and top.isVisible() and not top.session.tasks.busy:
                self.window_seen = True
                top.close()

    def stop(self) -> None:
        self._timer.stop()


@pytest.mark.usefixtures("restore_process_state")
def test_main_shows_the_setup_on_the_first_start_only(
        qtbot: QtBot, ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKSTATION_ANALYST", raising=False)
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")
    for start in (1, 2):
        answer = SetupAnswerer("Dana Analyst")
        try:
            code = app.main(str(ws_path), [], prefs=Preferences.at(str(tmp_path / "ui.ini")))
        finally:
            answer.stop()
        assert code == 0 and answer.window_seen
        assert answer.setups == (1 if start == 1 else 0)
        with Workspace.open(ws_path, readonly=True) as ws:
            assert ws.setting("analyst") == "Dana Analyst"
            assert settings_set(ws) == {"analyst": "Dana Analyst"}  # audited, once
            assert ws.keys.all() == [] and missing_issuer(ws) == list(ISSUER_KEYS)


@pytest.mark.usefixtures("unknown_analyst")
def test_every_field_is_named_and_has_an_alt_letter_label(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    wizard = open_setup(qtbot, window, prefs)
    buddies = {label.buddy(): label.text() for label in wizard.findChildren(QLabel)
               if label.buddy() is not None}
    fields = wizard.findChildren(QLineEdit)
    assert len(fields) >= 10
    for field in fields:
        assert field.accessibleName(), field.objectName()
        assert "&" in buddies.get(field, ""), field.objectName()
    for button in wizard.findChildren(QAbstractButton):
        assert button.accessibleName() or button.text(), button.objectName()
    assert {wizard.page(i).objectName() for i in wizard.pageIds()} == {
        "setupAnalyst", "setupIssuer", "setupKeys", "setupReading", "setupWorkspace",
        "setupSummary"}


@pytest.mark.usefixtures("unknown_analyst")
def test_keys_that_cannot_be_made_are_skipped_with_the_reason(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    """Where the secret store cannot be reached, the page says why, ticks Skip and asks
    for no passphrase in a field it does not show."""
    wizard = open_setup(qtbot, window, prefs)
    keys = wizard.keys
    keys.make_now.setChecked(True)
    keys._store_failed("No secret store could be opened.")
    assert keys.skip.isChecked() and not keys.wants_passphrase()
    wizard.next()  # the analyst page
    wizard.next()  # the issuer page (empty: skipped)
    page_is(qtbot, wizard, "setupKeys")
    assert not keys.passphrase.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupReading")
    assert "Agency keys: skipped" in keys.outcome
    wizard.done(0)
