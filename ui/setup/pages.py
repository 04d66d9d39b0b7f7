"""The simple steps of the first-start setup: the analyst's name (required), the issuer
identity packs name (optional) and where the workspace lives (optional).

Each value is checked with the core's own rule (:func:`workstation.settings.check`,
:func:`workstation.packs.issuer.check_issuer`) when Next is pressed; a refusal is
shown on the page and the step is not left.  Accepted values are stored through the
writer (:meth:`ui.common.operations.Operations.set_setting`, audited), only when they
changed; the folder for the next start is this analyst's preference, as in Settings.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.prefs import Preferences
from ui.common.qtutil import buddy_label
from ui.packs.issuer import FIELDS
from ui.setup.base import IN_SETTINGS, SetupPage
from ui.setup.encrypt import EncryptChoice
from workstation.errors import WorkstationError
from workstation.packs.issuer import ISSUER_KEYS, ISSUER_LABELS, check_issuer
from workstation.settings import InvalidSetting, SettingSource, check
from workstation.workspace import default_workspace_dir

ISSUER_LATER = ("Packs cannot be sealed until it is set (Workspace → Contacts and keys → "
                "Issuer identity).")


def default_analyst() -> str:
    """The OS user's name, the name offered at first start ("" when there is none)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name available (some containers)
        return ""


class AnalystPage(SetupPage):
    """Step 1 (required): the analyst's name (``setupAnalystName``).

    Attributes:
        name: the name field (the stored name, else the OS user's).
    """

    def __init__(self, reader: SettingSource, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(
            "setupAnalyst", "Your name",
            "Your name is recorded in the audit trail with every change you make, so it is "
            f"needed before you start (required). You can change it later in {IN_SETTINGS}.",
            parent)
        self.ops = ops
        self._stored = reader.setting("analyst")
        self.name = QLineEdit(self._stored or default_analyst(), self)
        self.name.setObjectName("setupAnalystName")
        self.name.setAccessibleName("Your name")
        self.name.setAccessibleDescription("Recorded in the audit trail with every change")
        self.name.setPlaceholderText("your name, such as Dana Analyst")
        form = QFormLayout()
        form.addRow(buddy_label("&Your name:", self, self.name), self.name)
        self.body.addLayout(form)

    def initializePage(self) -> None:
        self.focus_on(self.name)

    def validatePage(self) -> bool:
        try:
            value = check("analyst", self.name.text())
        except WorkstationError as exc:
            return self.refuse(self.name, message_for(exc))
        self.clear_problem()
        if value != self._stored:
            self.ops.set_setting("analyst", value)  # the window's title follows
            self._stored = value
        self.outcome = f"Your name: {value} (recorded with every change)."
        return True


class IssuerPage(SetupPage):
    """Step 2 (optional): the issuer identity every pack names.

    Attributes:
        fields: the line edit of each issuer setting (``issuer_KEY``).
        stored: the issuer values stored (or queued) so far.
    """

    def __init__(self, reader: SettingSource, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(
            "setupIssuer", "The agency's identity",
            "Every alert pack names the agency that sends it, a contact platforms can reach "
            "day and night, and the address they send their outcomes to.\n\nYou can skip "
            "this: leave the fields empty and press Next. " + ISSUER_LATER, parent)
        self.ops = ops
        self.stored = {key: reader.setting(key) or "" for key in ISSUER_KEYS}
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key in ISSUER_KEYS:
            label, example = FIELDS[key]
            field = QLineEdit(self.stored[key], self)
            field.setObjectName(f"issuer_{key}")
            field.setPlaceholderText(f"such as {example}")
            field.setAccessibleName(ISSUER_LABELS[key][:1].upper() + ISSUER_LABELS[key][1:])
            field.setAccessibleDescription("Optional now; required before a pack is sealed")
            self.fields[key] = field
            form.addRow(buddy_label(label, self, field), field)
        self.body.addLayout(form)

    def initializePage(self) -> None:
        first = next((k for k in ISSUER_KEYS if not self.fields[k].text()), ISSUER_KEYS[0])
        self.focus_on(self.fields[first])

    def validatePage(self) -> bool:
        checked: dict[str, str] = {}
        for key, field in self.fields.items():
            if not field.text().strip():
                continue  # left for later
            try:
                checked.update(check_issuer({key: field.text()}))
            except WorkstationError as exc:
                return self.refuse(field, message_for(exc))
        self.clear_problem()
        for key, value in checked.items():
            if value != self.stored[key]:
                self.ops.set_setting(key, value)
                self.stored[key] = value
        missing = [k for k in ISSUER_KEYS if not self.stored[k]]
        self.skipped = bool(missing)
        if not missing:
            self.outcome = (f"Issuer identity: {self.stored['agency_name']}, "
                            f"{self.stored['issuing_unit']}; outcomes to "
                            f"{self.stored['reply_to']}.")
        elif len(missing) == len(ISSUER_KEYS):
            self.outcome = "Issuer identity: skipped. " + ISSUER_LATER
        else:
            names = ", ".join(ISSUER_LABELS[k] for k in missing)
            self.outcome = f"Issuer identity: incomplete, missing {names}. " + ISSUER_LATER
        return True


def check_folder(text: str) -> str:
    """The folder for the next start as it will be kept ("" = the default), or
    :class:`InvalidSetting` with the reason (the rule of the Settings dialog)."""
    text = text.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise InvalidSetting(f"{text!r} is not a full folder path; choose the folder with "
                             "Choose….")
    if path.exists() and not path.is_dir():
        raise InvalidSetting(f"{text!r} is a file, not a folder; choose a folder.")
    return str(path)


class WorkspacePage(SetupPage):
    """Step 5 (optional): where the workspace lives, and the folder for the next start.

    Attributes:
        path: the open workspace's folder (``setupWorkspacePath``).
        next_folder: the folder to open at the next start ("" = the default;
            ``setupNextWorkspace``), kept in the analyst's preferences.
        choose: opens a folder dialog (``setupChooseWorkspace``).
        encrypt: whether a new workspace made there is encrypted, and its passphrase
            (:class:`ui.setup.encrypt.EncryptChoice`; unticked by default).
    """

    def __init__(self, here: Path, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(
            "setupWorkspace", "Where the workspace lives",
            "The workspace holds the evidence, its audit trail, the cases and the packs. "
            "Keep it on an encrypted disk that is backed up.\n\nOptional: to open another "
            "folder from the next start, give it below (a new workspace is made there if it "
            f"has none). You can change it later in {IN_SETTINGS}.", parent)
        self.prefs = prefs
        self.path = QLabel(str(here), self)
        self.path.setObjectName("setupWorkspacePath")
        self.path.setAccessibleName("This workspace's folder")
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.path.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.next_folder = QLineEdit(prefs.workspace_location, self)
        self.next_folder.setObjectName("setupNextWorkspace")
        self.next_folder.setAccessibleName("Folder to open at the next start")
        self.next_folder.setAccessibleDescription("Empty: the default folder")
        self.next_folder.setPlaceholderText(f"empty: the default, {default_workspace_dir()}")
        self.choose = QPushButton("C&hoose…", self)
        self.choose.setObjectName("setupChooseWorkspace")
        self.choose.setAccessibleName("Choose the folder for the next start")
        self.choose.setAutoDefault(False)
        self.choose.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.next_folder, 1)
        row.addWidget(self.choose)
        form = QFormLayout()
        form.addRow(buddy_label("This &workspace:", self, self.path), self.path)
        form.addRow(buddy_label("Next start &opens:", self, self.next_folder), row)
        self.body.addLayout(form)
        self.encrypt = EncryptChoice(self)
        self.body.addWidget(self.encrypt)
        QWidget.setTabOrder(self.path, self.next_folder)
        QWidget.setTabOrder(self.next_folder, self.choose)
        QWidget.setTabOrder(self.choose, self.encrypt.box)

    def initializePage(self) -> None:
        self.focus_on(self.next_folder)

    def choose_folder(self) -> None:
        start = self.next_folder.text().strip() or str(Path(self.path.text()).parent)
        folder = QFileDialog.getExistingDirectory(self, "Workspace folder for the next start",
                                                  start)
        if folder:
            self.next_folder.setText(folder)

    def validatePage(self) -> bool:
        try:
            location = check_folder(self.next_folder.text())
        except InvalidSetting as exc:
            return self.refuse(self.next_folder, message_for(exc))
        if self.encrypt.wanted():
            refused = self.encrypt.refusal(location)
            if refused is not None:
                return self.refuse(refused[0] or self.next_folder, refused[1])
            try:
                self.encrypt.make(location)
            except WorkstationError as exc:
                return self.refuse(self.next_folder, message_for(exc))
        self.clear_problem()
        if location != self.prefs.workspace_location:
            self.prefs.workspace_location = location
            self.prefs.sync()
        encrypted = (" (encrypted: its passphrase is asked for when it opens)"
                     if self.encrypt.wanted() else "")
        self.outcome = f"Workspace: {self.path.text()}" + (
            f"; from the next start: {location}{encrypted}." if location else ".")
        return True
