"""The Settings dialog (Workspace → Settings…, Ctrl+,).

Three kinds of setting, kept where they belong:

* **workspace settings** — the analyst's name, OCR languages and jobs, phone
  region hints, the SMTP server: declared in the core's settings table
  (:data:`workstation.settings.SETTINGS`), which gives each field its range,
  choices, default (shown as the placeholder) and tooltip (the table's help).
  Saved through the writer (:meth:`ui.common.operations.Operations.set_setting`), so
  each change is audited, and only when it changed.  Every value is checked
  first with the core's :func:`workstation.settings.check` (the check
  ``Workspace.set_setting`` applies again); a bad one is refused in the dialog
  with the core's sentence and nothing is saved;
* **the SMTP password** — never a setting and never shown: typed into a
  password field and handed to ``Workspace.set_smtp_password`` on the writer
  (the OS keyring, or the passphrase-encrypted files);
* **this analyst's display choices** — how images are shown until revealed
  (applied at once through the window's :class:`~ui.gallery.wellbeing.Wellbeing`) and
  the workspace folder for the next start, kept in :class:`~ui.common.prefs.Preferences`.

The dialog gets exactly what it uses — the session, the operations, the
preferences and the wellbeing — never the main window, which follows the
changes through ``ops.settingsChanged`` and ``wellbeing.changed``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.prefs import WELLBEING_MODES, Preferences
from ui.common.qtutil import buddy_label, emit
from ui.common.session import Session
from ui.common.theme import warning_colour
from ui.gallery.wellbeing import Wellbeing
from workstation.errors import WorkstationError
from workstation.settings import SETTINGS, SMTP_PORTS, check, get_int, get_text
from workstation.workspace import default_workspace_dir

WELLBEING_CHOICES = {"blur": "Blurred", "grey": "Greyscale", "off": "Shown as they are"}
SECURITY_CHOICES = {"starttls": "STARTTLS (usually port 587)",
                    "ssl": "SSL/TLS from the start (usually port 465)"}
DEFAULT_PORTS = {mode: str(port) for mode, port in SMTP_PORTS.items()}


class SettingsRefused(Exception):
    """A field's value cannot be saved (the message says why)."""

    def __init__(self, field: QWidget, message: str) -> None:
        super().__init__(message)
        self.field = field


class SettingsDialog(QDialog):
    """Workspace settings, the SMTP password, and this analyst's display preferences.

    Signals:
        saved(dict): the workspace settings queued for saving (key → value), once OK
            was accepted (the writer stores them in order).

    Attributes:
        session: the open ``Session`` (its read-only workspace and folder).
        ops: the write side (settings and the SMTP password are saved on the writer).
        prefs: this analyst's ``Preferences`` (the folder for the next start).
        images: the ``Wellbeing`` whose mode the dialog sets.
        tabs: the pages (General, Reading, E-mail).
        analyst, ocr_languages, ocr_jobs, region_hints: workspace settings.
        smtp_host, smtp_port, smtp_security, smtp_user, smtp_from: the SMTP server.
        smtp_password: a new SMTP password (empty: keep the stored one).
        wellbeing: how images are shown until revealed.
        workspace_path: the open workspace's folder (shown).
        next_workspace: the folder to open at the next start ("" = the default).
        problem: why the values were refused, if they were.
    """

    saved = Signal(dict)

    def __init__(self, session: Session, ops: Operations, prefs: Preferences,
                 wellbeing: Wellbeing, *, notify: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        """``notify`` gets a sentence to show (in the status bar) once the writer has
        stored the SMTP password, after the dialog has closed."""
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.session = session
        self.ops = ops
        self.prefs = prefs
        self.images = wellbeing
        self._notify = notify
        reader = session.reader
        self._initial: dict[str, str] = {}

        def line(name: str, key: str | None, value: str, placeholder: str = "") -> QLineEdit:
            edit = QLineEdit(value, self)
            edit.setObjectName(name)
            edit.setPlaceholderText(placeholder)
            if key is not None:
                self._initial[key] = value
            return edit

        # ---------------------------------------------------------- general
        general = QWidget(self)
        self.analyst = line("analyst", "analyst", reader.setting("analyst") or reader.analyst,
                            "your name, recorded with every change")
        self.wellbeing = QComboBox(general)
        self.wellbeing.setObjectName("wellbeingMode")
        for mode in WELLBEING_MODES:
            self.wellbeing.addItem(WELLBEING_CHOICES[mode], mode)
        self.wellbeing.setCurrentIndex(WELLBEING_MODES.index(wellbeing.mode))
        self.workspace_path = QLabel(str(session.path), general)
        self.workspace_path.setObjectName("workspacePath")
        self.workspace_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_workspace = line("nextWorkspace", None, prefs.workspace_location,
                                   f"the default: {default_workspace_dir()}")
        choose = QPushButton("C&hoose…", general)
        choose.setObjectName("chooseWorkspace")
        choose.clicked.connect(self.choose_workspace)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.next_workspace, 1)
        folder_row.addWidget(choose)
        home = os.environ.get("WORKSTATION_HOME")
        where_note = QLabel(
            "Opened from the next start, unless a folder is given with --workspace"
            + (f" (now $WORKSTATION_HOME is set, to {home}, and wins)." if home
               else " or $WORKSTATION_HOME.")
            + " A new folder becomes a new, empty workspace.", general)
        where_note.setWordWrap(True)
        where_note.setEnabled(False)
        form = QFormLayout(general)
        form.addRow(buddy_label("Analyst &name:", general, self.analyst), self.analyst)
        if os.environ.get("WORKSTATION_ANALYST"):
            env_note = QLabel("$WORKSTATION_ANALYST is set and is recorded instead while it "
                              "is.", general)
            env_note.setWordWrap(True)
            env_note.setEnabled(False)
            form.addRow("", env_note)
        form.addRow(buddy_label("&Images until revealed:", general, self.wellbeing),
                    self.wellbeing)
        form.addRow("This workspace:", self.workspace_path)
        form.addRow(buddy_label("&Workspace at next start:", general, self.next_workspace),
                    folder_row)
        form.addRow("", where_note)

        # ---------------------------------------------------------- reading
        reading = QWidget(self)
        self.ocr_languages = line("ocrLanguages", "ocr_languages", reader.reading.ocr_languages(),
                                  "auto, or Tesseract languages such as ara+eng")
        self.ocr_jobs = QSpinBox(reading)
        self.ocr_jobs.setObjectName("ocrJobs")
        jobs = SETTINGS["ocr_jobs"]
        self.ocr_jobs.setRange(jobs.minimum or 0, jobs.maximum or 0)
        self.ocr_jobs.setSpecialValueText(f"one per core ({os.cpu_count() or 1})")
        self.ocr_jobs.setValue(get_int(reader, "ocr_jobs"))
        self._initial["ocr_jobs"] = str(self.ocr_jobs.value())
        self.region_hints = line("regionHints", "region_hints",
                                 reader.setting("region_hints") or "",
                                 "default: " + SETTINGS["region_hints"].default)
        form = QFormLayout(reading)
        form.addRow(buddy_label("OCR &languages:", reading, self.ocr_languages),
                    self.ocr_languages)
        form.addRow(buddy_label("OCR &jobs:", reading, self.ocr_jobs), self.ocr_jobs)
        form.addRow(buddy_label("Phone region &hints:", reading, self.region_hints),
                    self.region_hints)
        hint = QLabel("Region hints are two-letter country codes, tried in order for phone "
                      "numbers written without +country code.", reading)
        hint.setWordWrap(True)
        hint.setEnabled(False)
        form.addRow("", hint)

        # ----------------------------------------------------------- e-mail
        mail = QWidget(self)
        security = get_text(reader, "smtp_security")
        self.smtp_host = line("smtpHost", "smtp_host", reader.setting("smtp_host") or "",
                              "smtp.example.org (empty: no e-mail)")
        self.smtp_security = QComboBox(mail)
        self.smtp_security.setObjectName("smtpSecurity")
        for mode in SETTINGS["smtp_security"].choices:
            self.smtp_security.addItem(SECURITY_CHOICES.get(mode, mode), mode)
        self.smtp_security.setCurrentIndex(self.smtp_security.findData(security))
        self._initial["smtp_security"] = str(self.smtp_security.currentData())
        self.smtp_port = line("smtpPort", "smtp_port", reader.setting("smtp_port") or "")
        self.smtp_user = line("smtpUser", "smtp_user", reader.setting("smtp_user") or "",
                              "the login name (empty: no login)")
        self.smtp_from = line("smtpFrom", "smtp_from", reader.setting("smtp_from") or "",
                              "alerts@example.org")
        self.smtp_password = line("smtpPassword", None, "",
                                  "type a new password to store it; empty keeps the stored one")
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_state = QLabel(mail)
        self.password_state.setObjectName("smtpPasswordState")
        ops.run("Checking the SMTP password",
                lambda ws, _task: ws.keys.smtp_password_stored(),
                on_done=self._password_checked,
                on_error=lambda _message: None)  # only a courtesy
        self.smtp_security.currentIndexChanged.connect(self._security_changed)
        self._security_changed()
        for key, (widget, _text) in self._values().items():
            widget.setToolTip(SETTINGS[key].help)  # the settings table's help text
        form = QFormLayout(mail)
        form.addRow(buddy_label("SMTP ser&ver:", mail, self.smtp_host), self.smtp_host)
        form.addRow(buddy_label("&Security:", mail, self.smtp_security), self.smtp_security)
        form.addRow(buddy_label("&Port:", mail, self.smtp_port), self.smtp_port)
        form.addRow(buddy_label("&User:", mail, self.smtp_user), self.smtp_user)
        form.addRow(buddy_label("&From address:", mail, self.smtp_from), self.smtp_from)
        form.addRow(buddy_label("Pass&word:", mail, self.smtp_password), self.smtp_password)
        form.addRow("", self.password_state)
        note = QLabel("The password is kept in the OS keyring, or in the workspace's "
                      "passphrase-encrypted secrets; it is never shown again.", mail)
        note.setWordWrap(True)
        note.setEnabled(False)
        form.addRow("", note)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(general, "&General")
        self.tabs.addTab(reading, "&Reading")
        self.tabs.addTab(mail, "&E-mail")
        self.problem = QLabel(self)
        self.problem.setObjectName("settingsProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {warning_colour(self.palette()).name()}; "
                                   "font-weight: bold;")
        self.problem.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.setObjectName("settingsButtons")
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Save")
        ok.setObjectName("saveSettings")
        ok.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(620, 380)
        self.analyst.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------- helpers
    def _password_checked(self, stored: bool) -> None:
        if isValid(self) and isValid(self.password_state):
            self.password_state.setText(
                "A password is stored for this server and user." if stored
                else "No password is stored for this server and user.")

    def _security_changed(self) -> None:
        mode = str(self.smtp_security.currentData())
        self.smtp_port.setPlaceholderText(f"{DEFAULT_PORTS[mode]} (the default for this "
                                          "security)")

    def choose_workspace(self) -> None:
        start = self.next_workspace.text().strip() or str(self.session.path.parent)
        folder = QFileDialog.getExistingDirectory(self, "Workspace folder for the next start",
                                                  start)
        if folder:
            self.next_workspace.setText(folder)

    def _values(self) -> dict[str, tuple[QWidget, str]]:
        return {
            "analyst": (self.analyst, self.analyst.text()),
            "ocr_languages": (self.ocr_languages, self.ocr_languages.text()),
            "ocr_jobs": (self.ocr_jobs, str(self.ocr_jobs.value())),
            "region_hints": (self.region_hints, self.region_hints.text()),
            "smtp_host": (self.smtp_host, self.smtp_host.text()),
            "smtp_security": (self.smtp_security, str(self.smtp_security.currentData())),
            "smtp_port": (self.smtp_port, self.smtp_port.text()),
            "smtp_user": (self.smtp_user, self.smtp_user.text()),
            "smtp_from": (self.smtp_from, self.smtp_from.text()),
        }

    def changes(self) -> dict[str, str]:
        """The workspace settings to save (checked, as they will be stored); raises
        :class:`SettingsRefused` for the first value the core would not accept."""
        out: dict[str, str] = {}
        for key, (field, text) in self._values().items():
            try:
                value = check(key, text)
            except WorkstationError as exc:
                raise SettingsRefused(field, message_for(exc)) from None
            try:
                before = check(key, self._initial.get(key, ""))
            except WorkstationError:
                before = None  # a bad stored value: replace it
            if value != before:
                out[key] = value
        password = self.smtp_password.text()
        if password:
            host = out.get("smtp_host", check("smtp_host", self.smtp_host.text()))
            user = out.get("smtp_user", check("smtp_user", self.smtp_user.text()))
            if not host or not user:
                raise SettingsRefused(self.smtp_host if not host else self.smtp_user,
                                      "Give the SMTP server and user before storing a "
                                      "password for them.")
        return out

    def next_location(self) -> str:
        """The checked folder for the next start ("" = the default)."""
        text = self.next_workspace.text().strip()
        if not text:
            return ""
        path = Path(text).expanduser()
        if not path.is_absolute():
            raise SettingsRefused(self.next_workspace,
                                  f"{text!r} is not a full folder path; choose the folder "
                                  "with Choose….")
        if path.exists() and not path.is_dir():
            raise SettingsRefused(self.next_workspace,
                                  f"{text!r} is a file, not a folder; choose a folder.")
        return str(path)

    def refuse(self, refused: SettingsRefused) -> None:
        """Show why, on the page of the field at fault, and put the cursor there."""
        self.problem.setText(str(refused))
        self.problem.setVisible(True)
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is not None and page.isAncestorOf(refused.field):
                self.tabs.setCurrentIndex(index)
        refused.field.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(refused.field, QLineEdit):
            refused.field.selectAll()

    # ---------------------------------------------------------------- save
    def accept(self) -> None:
        try:
            changes = self.changes()
            location = self.next_location()
        except SettingsRefused as refused:
            self.refuse(refused)
            return
        for key, value in changes.items():  # ops.settingsChanged follows each one
            self.ops.set_setting(key, value)
        password = self.smtp_password.text()
        self.smtp_password.clear()
        if password:
            notify = self._notify

            def stored(_result: object) -> None:  # after this dialog is gone
                if notify is not None:
                    notify("The SMTP password is stored in the secret store.")

            self.ops.run("Storing the SMTP password",
                         lambda ws, _task: ws.keys.set_smtp_password(password),
                         on_done=stored)
        self.images.set_mode(str(self.wellbeing.currentData()))  # the View menu follows
        if location != self.prefs.workspace_location:
            self.prefs.workspace_location = location
            self.prefs.sync()
        emit(self.saved, changes)
        super().accept()


def open_settings(session: Session, ops: Operations, prefs: Preferences,
                  wellbeing: Wellbeing, *, notify: Callable[[str], None] | None = None,
                  parent: QWidget | None = None) -> SettingsDialog:
    """Open the Settings dialog over ``parent`` (window-modal, not blocking)."""
    dialog = SettingsDialog(session, ops, prefs, wellbeing, notify=notify, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
