"""The analyst's first hour with the keyboard only, on a new workspace: the
first-start setup (name, the agency's identity, its keys with a passphrase chosen,
OCR languages, folder), the platform's contact added in Contacts and keys, an advert
imported through the File menu's file dialog (a path typed), read by the real
Tesseract, opened in the viewer, its phone number confirmed, an alert pack composed
for the platform's contact, sealed and exported to a folder (the folder typed); the
exported pack then opens with the platform's key in the real ``age`` and in the
workspace's own pack reader.  And no Alt+letter of the windows used reaches two
controls.

Every key goes where the keyboard focus is (:func:`press`, :func:`type_text`): the
focused widget of the active window, as a real keyboard would deliver it; no
widget is clicked, no slot or action called.  Only what the app itself does at
start (the setup shown over the window) and what a window manager does (the
keyboard back to a window once a dialog over it closes: :func:`back_to`) is done
without keys.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyrage
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QLabel,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.adverts import advert_named
from tests.core.packs.support import tool
from tests.gui.guiutil import GUI_MARKS, PASSPHRASE, wait_idle
from tests.issuer import TEST_ISSUER
from ui.common.prefs import Preferences
from ui.contacts.contactdialogs import ContactDialog
from ui.contacts.contacts import ContactsWindow
from ui.main.mainwindow import MainWindow
from ui.packs.composer import PackComposer
from ui.setup.wizard import FirstStartWizard, show_first_start
from ui.viewer.viewer import ViewerWindow
from workstation.packs.format.opening import open_pack
from workstation.packs.issuer import ISSUER_KEYS

pytestmark = GUI_MARKS
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
NONE = Qt.KeyboardModifier.NoModifier
ADVERT = "eng_fb"  # a phone screenshot: "Call or WhatsApp now: +44 7700 900123"
PHONE = "+447700900123"


@pytest.fixture
def platform_key(tmp_path: Path) -> tuple[Path, str]:
    """The platform's age identity file and its public key."""
    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "platform-key.txt"
    key_file.write_text(f"{identity}\n")
    return key_file, str(identity.to_public())


@pytest.fixture
def first_start(window: MainWindow, prefs: Preferences,
                monkeypatch: pytest.MonkeyPatch) -> FirstStartWizard:
    """The window of a new workspace with the first-start setup over it, as ``ui.app``
    opens them when the analyst is not known (no ``$WORKSTATION_ANALYST``, no name)."""
    monkeypatch.delenv("WORKSTATION_ANALYST")
    assert not window.session.analyst_known()
    return show_first_start(window.session, window.ops, prefs,
                            passphrases=window.passphrases, notify=window.notify,
                            parent=window)


# ------------------------------------------------------------------ the keyboard
def focused() -> QWidget:
    """Where a key typed now goes: the focused widget of the active window."""
    window = QApplication.activeWindow()
    assert window is not None, "no window is active: the keyboard reaches nothing"
    widget = QApplication.focusWidget()
    return widget if widget is not None and widget.window() is window else window


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = NONE) -> None:
    qtbot.keyClick(focused(), key, modifiers)


def type_text(qtbot: QtBot, text: str) -> None:
    qtbot.keyClicks(focused(), text)


_TIMERS: list[QTimer] = []


def when_modal(kind: type[QWidget], answer: Callable[[QWidget], None]) -> None:
    """Answer the next modal window of ``kind`` once it has the keyboard (a dialog that
    runs its own event loop, such as a file dialog, returns only when answered)."""
    timer = QTimer()
    timer.setInterval(20)
    _TIMERS.append(timer)  # alive until it has answered

    def check() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and QApplication.activeWindow() is modal:
            timer.stop()
            _TIMERS.remove(timer)
            answer(modal)

    timer.timeout.connect(check)
    timer.start()


def type_path(qtbot: QtBot, path: Path) -> Callable[[QWidget], None]:
    """Answer a file dialog: the path typed into its file-name field, then Return."""
    def answer(dialog: QWidget) -> None:
        assert isinstance(dialog, QFileDialog)
        field = focused()
        assert field.objectName() == "fileNameEdit", field.objectName()
        type_text(qtbot, str(path))
        press(qtbot, Qt.Key.Key_Return)
    return answer


def activate(qtbot: QtBot, window: QWidget) -> None:
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)


def back_to(qtbot: QtBot, window: QWidget) -> None:
    """The window manager gives the keyboard back to ``window`` once a dialog over it
    closes (the offscreen platform has no window manager to do it)."""
    if QApplication.activeWindow() is None:
        window.activateWindow()
    activate(qtbot, window)


# ------------------------------------------------------------------ the first hour
def set_up(qtbot: QtBot, wizard: FirstStartWizard) -> None:
    """The first-start setup: name, the agency's identity, its keys (a passphrase
    chosen), the OCR languages left to automatic, the default folder; Finish."""
    activate(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.keys.store_known and wizard.reading.languages_listed,
                    timeout=30_000)
    qtbot.waitUntil(lambda: focused() is wizard.analyst.name)
    type_text(qtbot, "Dana Analyst")  # replaces the OS user's name, offered selected
    press(qtbot, Qt.Key.Key_Return)
    on_page(qtbot, wizard, "setupIssuer")
    qtbot.waitUntil(lambda: focused() is wizard.issuer.fields[ISSUER_KEYS[0]])
    for index, key in enumerate(ISSUER_KEYS):
        if index:
            press(qtbot, Qt.Key.Key_Tab)
        type_text(qtbot, TEST_ISSUER[key])
    press(qtbot, Qt.Key.Key_N, ALT)  # Next
    on_page(qtbot, wizard, "setupKeys")
    qtbot.waitUntil(lambda: focused() is wizard.keys.passphrase)
    type_text(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Return)  # made on the writer; the page moves on by itself
    on_page(qtbot, wizard, "setupReading")
    press(qtbot, Qt.Key.Key_N, ALT)
    on_page(qtbot, wizard, "setupWorkspace")
    press(qtbot, Qt.Key.Key_N, ALT)
    on_page(qtbot, wizard, "setupSummary")
    assert "Skipped" not in wizard.summary.text.text()
    with qtbot.waitSignal(wizard.finished, timeout=10_000):
        press(qtbot, Qt.Key.Key_F, ALT)  # Finish


def on_page(qtbot: QtBot, wizard: FirstStartWizard, name: str) -> None:
    qtbot.waitUntil(lambda: wizard.currentPage().objectName() == name, timeout=60_000)


def test_first_hour_with_the_keyboard_only(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                           first_start: FirstStartWizard,
                                           platform_key: tuple[Path, str]) -> None:
    w = window
    set_up(qtbot, first_start)
    wait_idle(qtbot, w)
    assert w.reader.setting("analyst") == "Dana Analyst"
    assert {k.kind for k in w.reader.keys.all()} == {"signing", "archive", "reply"}
    back_to(qtbot, w)
    advert = advert_named(ADVERT)
    shot = tmp_path / "shots" / "advert.png"
    shot.parent.mkdir()
    shot.write_bytes(advert.data)

    # Workspace → Contacts and keys (Ctrl+Shift+K) → Add contact (Alt+A): Facebook's.
    press(qtbot, Qt.Key.Key_K, CTRL | SHIFT)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), ContactsWindow),
                    timeout=10_000)
    contacts = QApplication.activeWindow()
    assert isinstance(contacts, ContactsWindow)
    press(qtbot, Qt.Key.Key_A, ALT)
    qtbot.waitUntil(lambda: isinstance(contacts.dialog, ContactDialog), timeout=10_000)
    dialog = contacts.dialog
    activate(qtbot, dialog)
    assert focused() is dialog.platform
    type_text(qtbot, "facebook")
    for text in ("Trust and Safety", "Meta", "", "ts@facebook.example", platform_key[1]):
        press(qtbot, Qt.Key.Key_Tab)
        type_text(qtbot, text)
    press(qtbot, Qt.Key.Key_Tab)  # to Add
    with qtbot.waitSignal(dialog.added, timeout=10_000) as added:
        press(qtbot, Qt.Key.Key_Return)
    contact = added.args[0]
    assert (contact.platform, contact.name, contact.organisation) == \
        ("facebook", "Trust and Safety", "Meta")
    back_to(qtbot, contacts)
    press(qtbot, Qt.Key.Key_Escape)  # closes Contacts and keys
    assert not contacts.isVisible()
    back_to(qtbot, w)

    # File → Import files… (Ctrl+O): the path typed in the file dialog.
    when_modal(QFileDialog, type_path(qtbot, shot))
    press(qtbot, Qt.Key.Key_O, CTRL)
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.model.captures()) == 1, timeout=10_000)
    [capture] = w.model.captures()
    back_to(qtbot, w)
    assert focused() is w.views.gallery
    # The gallery: Home makes the new capture current and selected; Ctrl+R reads it.
    press(qtbot, Qt.Key.Key_Home)
    assert w.views.selected_ids() == [capture.id]
    press(qtbot, Qt.Key.Key_R, CTRL)
    wait_idle(qtbot, w, timeout=120_000)
    ocr = w.reader.reading.current_ocr(capture.id)
    assert ocr is not None and "7700" in ocr.text
    # Return opens the viewer; Alt+I its indicators; the phone number confirmed with C.
    press(qtbot, Qt.Key.Key_Return)
    viewer = w.viewer
    assert viewer is not None
    activate(qtbot, viewer)
    press(qtbot, Qt.Key.Key_I, ALT)
    panel = viewer.indicators
    assert viewer.tabs.currentWidget() is panel and focused() is panel
    press(qtbot, Qt.Key.Key_N)
    while panel.current_key() != ("phone", PHONE):
        press(qtbot, Qt.Key.Key_J)
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        press(qtbot, Qt.Key.Key_C)
    wait_idle(qtbot, w)
    assert {(r.kind, r.normalized): r.status for r in w.reader.reading.indicators(capture.id)
            }[("phone", PHONE)] == "confirmed"
    # Alt+N: the keys go to the notes' first field (a tab's mnemonic moves the focus).
    press(qtbot, Qt.Key.Key_N, ALT)
    assert viewer.annotations.isAncestorOf(focused())
    # Esc closes the viewer; the gallery has the keys again.
    press(qtbot, Qt.Key.Key_Escape)
    assert not viewer.isVisible()
    back_to(qtbot, w)
    assert focused() is w.views.gallery

    # Packs → New alert pack (Ctrl+Shift+P): the selected capture, Facebook's contact.
    press(qtbot, Qt.Key.Key_P, CTRL | SHIFT)
    composer = w.composer
    assert isinstance(composer, PackComposer)
    activate(qtbot, composer)
    assert composer.capture_ids() == [capture.id]
    assert focused() is composer.contact_box
    assert composer.contact_box.currentText().startswith("facebook — Trust and Safety")
    qtbot.waitUntil(lambda: composer.readiness() is not None, timeout=10_000)

    # Seal (Alt+L): why it goes without a URL, typed; the unverified contact accepted
    # (Alt+Y).
    export = tmp_path / "outgoing"
    export.mkdir()
    asked: list[object] = []
    w.passphrases.asked.connect(asked.append)
    with qtbot.waitSignal(composer.sealed, timeout=120_000) as sealed:
        press(qtbot, Qt.Key.Key_L, ALT)
        # (a button's mnemonic clicks it after a short animation)
        qtbot.waitUntil(lambda: composer.reason_box is not None, timeout=10_000)
        activate(qtbot, composer.reason_box)
        type_text(qtbot, "Screenshot sent in by a member of the public; no URL")
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: composer.confirm_box is not None, timeout=10_000)
        box = composer.confirm_box
        assert box is not None and box.objectName() == "unverifiedContactBox"
        activate(qtbot, box)
        press(qtbot, Qt.Key.Key_Y, ALT)
    pack = sealed.args[0]
    assert asked == []  # the passphrase chosen at setup is held for the session
    back_to(qtbot, composer)
    # Export to folder (Alt+X): the folder typed in the folder dialog.
    when_modal(QFileDialog, type_path(qtbot, export))
    with qtbot.waitSignal(composer.sent, timeout=60_000) as sent:
        press(qtbot, Qt.Key.Key_X, ALT)
    assert sent.args[0].status == "sent"
    exported = export / f"{pack.ref}.alertpack.age"
    assert exported.is_file()

    # The platform opens it: the real age with its key, then the pack reader, which
    # checks the agency's signature and every file's hash.
    key_file, _recipient = platform_key
    plain = tmp_path / "pack.zip"
    subprocess.run([tool("age"), "-d", "-i", str(key_file), "-o", str(plain), str(exported)],
                   check=True, capture_output=True)
    assert zipfile.is_zipfile(plain)
    trust = tmp_path / "agency.pub"
    trust.write_text(w.reader.keys.export_public_key())
    report = open_pack(exported, key_file, trust, tmp_path / "opened")
    assert report.valid, report
    manifest = (tmp_path / "opened").rglob("manifest.json")
    assert PHONE in next(manifest).read_text(encoding="utf-8")


# ------------------------------------------------------------------ mnemonics
def mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Every Alt+letter of ``window``'s shown, enabled buttons, labels with a buddy and
    tabs, by letter: one letter reaching two controls makes Alt+letter ambiguous (Qt then
    only moves between them, clicking neither)."""
    found: dict[str, list[str]] = {}

    def add(text: str, what: str) -> None:
        match = re.search(r"&([^&\s])", text.replace("&&", ""))
        if match:
            found.setdefault(match.group(1).lower(), []).append(what)

    for button in window.findChildren(QAbstractButton):
        if button.isEnabled() and button.window() is window and button.isVisible():
            add(button.text(), f"button {button.text()!r}")
    for label in window.findChildren(QLabel):
        if label.buddy() is not None and label.window() is window and label.isVisible():
            add(label.text(), f"label {label.text()!r}")
    for tabs in window.findChildren(QTabWidget):
        if tabs.window() is window:
            for i in range(tabs.count()):
                add(tabs.tabText(i), f"tab {tabs.tabText(i)!r}")
    return found


def ambiguous(window: QWidget) -> dict[str, list[str]]:
    return {key: what for key, what in mnemonics(window).items() if len(what) > 1}


def test_every_alt_letter_reaches_one_control(qtbot: QtBot, window: MainWindow) -> None:
    """The composer (once sealed, every button enabled), the outbox, the contacts, the
    viewer and the settings: no Alt+letter is shared by two controls."""
    window.ops.import_bytes(advert_named(ADVERT).data)
    wait_idle(qtbot, window)
    composer = window.new_pack()
    for button in composer.findChildren(QAbstractButton):
        button.setEnabled(True)
    windows: list[QWidget] = [composer, window.show_outbox(), window.show_contacts(),
                              window.open_capture(1), window.show_settings()]
    found = {top.objectName(): ambiguous(top) for top in windows}
    assert found == {top.objectName(): {} for top in windows}
    viewer = windows[3]
    assert isinstance(viewer, ViewerWindow)
    for page in range(viewer.tabs.count()):  # a page's own labels beside the tabs
        viewer.tabs.setCurrentIndex(page)
        assert ambiguous(viewer) == {}, viewer.tabs.tabText(page)
