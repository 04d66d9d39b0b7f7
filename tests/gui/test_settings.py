"""The Settings dialog driven through its widgets, on a real temporary workspace.

Workspace settings are typed in and saved through the writer (audited); bad
values are refused in the dialog with the core's sentence before anything is
stored; the SMTP password goes to the (file-backed) secret store, never into a
setting; the image treatment applies at once; the folder for the next start is
kept in the preferences.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
)
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from tests.conftest import run_cli
from tests.gui.guiutil import GUI_MARKS, PASSPHRASE
from ui.common.operations import Operations
from ui.common.passphrase import PassphraseDialog
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.gallery.wellbeing import Wellbeing
from ui.main.mainwindow import MainWindow
from ui.settings.dialog import SettingsDialog
from workstation.crypto.secretstore import SecretStore
from workstation.packs.models import smtp_password_name
from workstation.settings import SETTINGS
from workstation.workspace import Workspace

pytestmark = GUI_MARKS


def wait_idle(qtbot: QtBot, w: MainWindow, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: not w.session.tasks.busy, timeout=timeout)


def open_dialog(qtbot: QtBot, w: MainWindow) -> SettingsDialog:
    wait_idle(qtbot, w)
    w.acts.settings.trigger()
    dialog = w.findChild(SettingsDialog)
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitExposed(dialog)
    return dialog


def field(dialog: SettingsDialog, name: str) -> QLineEdit:
    edit = dialog.findChild(QLineEdit, name)
    assert isinstance(edit, QLineEdit), name
    return edit


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def save(qtbot: QtBot, dialog: SettingsDialog) -> None:
    button = dialog.findChild(QPushButton, "saveSettings")
    assert isinstance(button, QPushButton)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def closed(dialog: SettingsDialog) -> bool:
    """Whether the dialog was closed (it deletes itself when it closes)."""
    return not isValid(dialog) or not dialog.isVisible()


def problem(dialog: SettingsDialog) -> str:
    label = dialog.findChild(QLabel, "settingsProblem")
    assert isinstance(label, QLabel)
    return label.text() if label.isVisible() else ""


def choose(combo: QComboBox, data: str) -> None:
    combo.setFocus()
    combo.setCurrentIndex(combo.findData(data))


def audited(reader: Workspace, action: str) -> list[dict[str, object]]:
    return [e.details for e in reader.audit_entries() if e.action == action]


# ---------------------------------------------------------------------- tests
def test_settings_action_has_its_shortcut(window: MainWindow) -> None:
    assert window.acts.settings.shortcut() == QKeySequence("Ctrl+,")
    assert window.acts.settings.text() == "&Settings…"


def test_workspace_settings_are_saved_through_the_writer_and_audited(
        qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_dialog(qtbot, window)
    assert field(dialog, "analyst").text() == "Test Analyst"
    assert field(dialog, "ocrLanguages").text() == "auto"
    retype(qtbot, field(dialog, "analyst"), "Dana   Smith")
    retype(qtbot, field(dialog, "ocrLanguages"), "ara+eng")
    jobs = dialog.findChild(QSpinBox, "ocrJobs")
    assert isinstance(jobs, QSpinBox)
    jobs.setFocus()
    jobs.selectAll()
    qtbot.keyClicks(jobs, "3")
    retype(qtbot, field(dialog, "regionHints"), "gb, fr iq")
    retype(qtbot, field(dialog, "smtpHost"), "smtp.example.org")
    security = dialog.findChild(QComboBox, "smtpSecurity")
    assert isinstance(security, QComboBox)
    choose(security, "ssl")
    assert "465" in field(dialog, "smtpPort").placeholderText()
    retype(qtbot, field(dialog, "smtpPort"), "2465")
    retype(qtbot, field(dialog, "smtpUser"), "alerts")
    retype(qtbot, field(dialog, "smtpFrom"), "alerts@agency.example")
    before = len(window.reader.audit_entries())
    save(qtbot, dialog)
    wait_idle(qtbot, window)

    assert closed(dialog)
    reader = window.reader
    stored = {key: reader.setting(key) for key in (
        "analyst", "ocr_languages", "ocr_jobs", "region_hints", "smtp_host", "smtp_port",
        "smtp_security", "smtp_user", "smtp_from")}
    assert stored == {
        "analyst": "Dana Smith", "ocr_languages": "ara+eng", "ocr_jobs": "3",
        "region_hints": "GB,FR,IQ", "smtp_host": "smtp.example.org", "smtp_port": "2465",
        "smtp_security": "ssl", "smtp_user": "alerts", "smtp_from": "alerts@agency.example"}
    assert reader.reading.region_hints == ("GB", "FR", "IQ")
    assert reader.reading.ocr_languages() == "ara+eng"
    changes = audited(reader, "settings.set")
    assert len(reader.audit_entries()) - before == 9 == len(changes)
    assert {"key": "smtp_host", "old": None, "new": "smtp.example.org"} in changes

    # Opened again, the dialog shows what is stored; saving unchanged stores nothing.
    dialog = open_dialog(qtbot, window)
    assert field(dialog, "regionHints").text() == "GB,FR,IQ"
    assert field(dialog, "smtpPort").text() == "2465"
    count = len(reader.audit_entries())
    save(qtbot, dialog)
    wait_idle(qtbot, window)
    assert len(reader.audit_entries()) == count


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("regionHints", "GB,XX", "Unknown phone region hint XX"),
    ("ocrLanguages", "ara+zzz", "sudo apt-get install tesseract-ocr-zzz"),
    ("ocrLanguages", "arabic english", "is not a Tesseract language list"),
    ("smtpPort", "99999", "The SMTP port must be a number from 1 to 65535"),
    ("smtpHost", "smtp example org", "is not a server name"),
    ("smtpFrom", "alerts-at-agency", "is not an e-mail address"),
    ("analyst", "   ", "The analyst's name must not be empty"),
])
def test_bad_values_are_refused_in_the_dialog_before_anything_is_saved(
        qtbot: QtBot, window: MainWindow, name: str, text: str, expected: str) -> None:
    dialog = open_dialog(qtbot, window)
    retype(qtbot, field(dialog, "smtpUser"), "alerts")  # a good change, held back too
    retype(qtbot, field(dialog, name), text)
    before = len(window.reader.audit_entries())
    save(qtbot, dialog)
    wait_idle(qtbot, window)

    assert dialog.isVisible()
    assert expected in problem(dialog) and "Traceback" not in problem(dialog)
    assert dialog.focusWidget() is field(dialog, name)
    assert dialog.tabs.currentWidget().isAncestorOf(field(dialog, name))  # its page shown
    assert len(window.reader.audit_entries()) == before
    assert window.reader.setting("smtp_user") is None

    retype(qtbot, field(dialog, name), "")  # empty is the default for each of these ...
    if name == "analyst":
        qtbot.keyClicks(field(dialog, name), "Dana")  # ... but a name is required
    save(qtbot, dialog)
    wait_idle(qtbot, window)
    assert closed(dialog)
    assert window.reader.setting("smtp_user") == "alerts"


def test_smtp_password_goes_to_the_secret_store_and_never_into_a_setting(
        qtbot: QtBot, window: MainWindow, ws_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    password = "s3cret-Pa55word"
    dialog = open_dialog(qtbot, window)
    state = dialog.findChild(QLabel, "smtpPasswordState")
    qtbot.waitUntil(lambda: "No password is stored" in state.text(), timeout=10_000)
    retype(qtbot, field(dialog, "smtpPassword"), password)
    save(qtbot, dialog)
    assert "Give the SMTP server and user" in problem(dialog)
    assert window.reader.audit_entries()[-1].action == "workspace.create"

    retype(qtbot, field(dialog, "smtpHost"), "smtp.example.org")
    retype(qtbot, field(dialog, "smtpUser"), "alerts")
    pw_field = field(dialog, "smtpPassword")
    assert pw_field.echoMode() == QLineEdit.EchoMode.Password
    with qtbot.waitSignal(window.passphrases.asked, timeout=20_000) as asked:
        save(qtbot, dialog)
    ask = asked.args[0]
    assert isinstance(ask, PassphraseDialog) and ask.objectName() == "passphraseDialog"
    qtbot.keyClicks(ask.findChild(QLineEdit, "passphrase"), PASSPHRASE)
    qtbot.keyClicks(ask.findChild(QLineEdit, "passphraseAgain"), PASSPHRASE)
    ask.accept()
    wait_idle(qtbot, window)

    reader = window.reader
    assert not any(password in value for value in reader.ctx.settings.all().values())
    entries = reader.audit_entries()
    assert entries[-1].action == "smtp.password"
    assert entries[-1].details["host"] == "smtp.example.org"
    assert all(password not in str(e.details) for e in entries)
    assert "stored" in window.statusBar().currentMessage()
    monkeypatch.setenv("TEST_PASSPHRASE", PASSPHRASE)
    store = SecretStore(ws_path / "secrets", passphrase_env="TEST_PASSPHRASE", backend="file")
    name = smtp_password_name("smtp.example.org", "alerts")
    assert store.get(name) == password.encode()
    assert password.encode() not in (ws_path / "secrets" / f"{name}.age").read_bytes()
    again = open_dialog(qtbot, window)  # the dialog says a password is kept, never which
    state = again.findChild(QLabel, "smtpPasswordState")
    qtbot.waitUntil(lambda: "A password is stored" in state.text(), timeout=10_000)
    assert field(again, "smtpPassword").text() == ""


def test_the_image_treatment_applies_at_once_and_is_kept(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    assert window.wellbeing.mode == "blur"
    dialog = open_dialog(qtbot, window)
    combo = dialog.findChild(QComboBox, "wellbeingMode")
    assert isinstance(combo, QComboBox)
    assert combo.currentData() == "blur"
    choose(combo, "grey")
    with qtbot.waitSignal(window.wellbeing.changed, timeout=5_000):
        save(qtbot, dialog)
    assert window.wellbeing.mode == "grey" and window.wellbeing.treatment(1) == "grey"
    assert prefs.wellbeing == "grey"
    assert window.acts.wellbeing_grey.isChecked() and not window.acts.wellbeing_blur.isChecked()
    assert window.reader.audit_entries()[-1].action == "workspace.create"  # not evidence


def test_data_location_shows_this_workspace_and_keeps_the_next_one(
        qtbot: QtBot, window: MainWindow, prefs: Preferences, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKSTATION_HOME", raising=False)
    dialog = open_dialog(qtbot, window)
    shown = dialog.findChild(QLabel, "workspacePath")
    assert isinstance(shown, QLabel) and shown.text() == str(window.session.path)
    next_field = field(dialog, "nextWorkspace")
    assert next_field.text() == "" and "default" in next_field.placeholderText()

    retype(qtbot, next_field, "relative/folder")
    save(qtbot, dialog)
    assert "is not a full folder path" in problem(dialog)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    retype(qtbot, next_field, str(a_file))
    save(qtbot, dialog)
    assert "is a file, not a folder" in problem(dialog)
    assert prefs.workspace_location == ""

    chosen = tmp_path / "team-share"
    chosen.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(chosen))
    button = dialog.findChild(QPushButton, "chooseWorkspace")
    assert isinstance(button, QPushButton)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert next_field.text() == str(chosen)
    save(qtbot, dialog)
    assert closed(dialog)
    assert Preferences.at(prefs.settings.fileName()).workspace_location == str(chosen)


def test_config_refuses_what_the_settings_dialog_refuses(ws_path: Path) -> None:
    run_cli("init", workspace=ws_path, check=True)
    bad = run_cli("config", "region_hints", "GB,XX", workspace=ws_path)
    assert bad.returncode == 2 and "Unknown phone region hint XX" in bad.stderr
    good = run_cli("config", "region_hints", "gb, fr", workspace=ws_path, check=True)
    assert good.stdout.strip() == "region_hints = GB,FR"


def test_the_dialog_takes_ranges_choices_defaults_and_help_from_the_settings_table(
        qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_dialog(qtbot, window)
    jobs = dialog.findChild(QSpinBox, "ocrJobs")
    assert isinstance(jobs, QSpinBox)
    table = SETTINGS["ocr_jobs"]
    assert (jobs.minimum(), jobs.maximum()) == (table.minimum, table.maximum) == (0, 64)
    assert jobs.value() == int(table.default)
    assert jobs.toolTip() == table.help
    security = dialog.findChild(QComboBox, "smtpSecurity")
    assert isinstance(security, QComboBox)
    assert [security.itemData(i) for i in range(security.count())] == list(
        SETTINGS["smtp_security"].choices)
    assert security.currentData() == SETTINGS["smtp_security"].default
    assert security.toolTip() == SETTINGS["smtp_security"].help
    for name, key in (("analyst", "analyst"), ("ocrLanguages", "ocr_languages"),
                      ("regionHints", "region_hints"), ("smtpHost", "smtp_host"),
                      ("smtpPort", "smtp_port"), ("smtpUser", "smtp_user"),
                      ("smtpFrom", "smtp_from")):
        assert field(dialog, name).toolTip() == SETTINGS[key].help, name
    assert SETTINGS["region_hints"].default in field(dialog, "regionHints").placeholderText()
    dialog.reject()


def test_the_window_saves_settings_through_the_tables_check(
        qtbot: QtBot, window: MainWindow) -> None:
    """The writer's ``set_setting`` checks too: a key or value the table refuses is reported
    and nothing is stored or audited, whoever asks."""
    before = len(window.reader.audit_entries())
    for key, value in (("nonsense_key", "1"), ("smtp_password", "s3cret-Pa55"),
                       ("ocr_jobs", "65")):
        with qtbot.waitSignal(window.ops.failed, timeout=10_000) as failed:
            window.ops.set_setting(key, value)
        title, message = failed.args
        assert title == "Settings" and key in message and "s3cret" not in message
        wait_idle(qtbot, window)
    boxes = [b.text() for b in window.findChildren(QMessageBox, "errorBox")]
    assert any("Unknown setting 'nonsense_key'" in text for text in boxes)
    assert any("Workspace → Settings… (Ctrl+,) → E-mail → Password" in text for text in boxes)
    assert any("from 0 to 64" in text for text in boxes)
    assert len(window.reader.audit_entries()) == before
    assert window.reader.setting("ocr_jobs") is None


def test_the_dialog_gets_its_collaborators_not_the_main_window(
        qtbot: QtBot, session: Session, prefs: Preferences) -> None:
    """Built from the session, the operations, the preferences and the wellbeing alone;
    what it saves is announced (``ops.settingsChanged``, ``wellbeing.changed``) for
    whoever shows it — the main window's title and View menu follow those."""
    ops = Operations(session)
    images = Wellbeing(prefs)
    dialog = SettingsDialog(session, ops, prefs, images)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not session.tasks.busy, timeout=10_000)  # the password check
    retype(qtbot, field(dialog, "analyst"), "Robin Lee")
    mode = dialog.findChild(QComboBox, "wellbeingMode")
    assert isinstance(mode, QComboBox)
    choose(mode, "grey")
    with qtbot.waitSignal(ops.settingsChanged, timeout=10_000) as changed, \
            qtbot.waitSignal(images.changed, timeout=10_000):
        save(qtbot, dialog)
    assert changed.args == ["analyst"]
    assert session.reader.setting("analyst") == "Robin Lee"
    assert images.mode == "grey" == prefs.wellbeing
    qtbot.waitUntil(lambda: not session.tasks.busy, timeout=10_000)
