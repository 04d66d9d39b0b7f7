"""The choice, on the workspace step of the first-start setup, to make the workspace of
the next start encrypted at rest (:meth:`workstation.workspace.Workspace.create_encrypted`).

Unticked (the default) nothing changes: the folder for the next start gets a plain
workspace when it is first opened.  Ticked, the passphrase is typed twice (not empty,
the same both times) and the encrypted workspace is made in that new or empty folder
when Next is pressed; the next start asks for its passphrase.  The passphrase is never
logged, stored in the settings or shown, and the fields are emptied once it is used.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from ui.common.qtutil import buddy_label
from workstation.workspace import Workspace

log = logging.getLogger(__name__)

ENCRYPT_TEXT = "&Encrypt the new workspace (a passphrase will be needed to open it)"


class EncryptChoice(QWidget):
    """Tick to encrypt the new workspace; its passphrase, twice.

    Attributes:
        box: the tick box (``setupEncrypt``).
        passphrase, again: the passphrase fields (``setupEncryptPassphrase``,
            ``setupEncryptAgain``), enabled only when ticked.
        created: the folder an encrypted workspace was made in by this setup, if any.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.created: Path | None = None
        self.box = QCheckBox(ENCRYPT_TEXT, self)
        self.box.setObjectName("setupEncrypt")
        self.box.setAccessibleDescription(
            "Made in the folder for the next start, which must be new or empty")
        self.passphrase = self._field("setupEncryptPassphrase", "Passphrase of the new "
                                      "workspace")
        self.again = self._field("setupEncryptAgain", "The same passphrase again")
        form = QFormLayout()
        form.addRow(buddy_label("Pass&phrase:", self, self.passphrase), self.passphrase)
        form.addRow(buddy_label("Passphrase a&gain:", self, self.again), self.again)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addLayout(form)
        self.box.toggled.connect(self._toggled)
        self._toggled(False)
        QWidget.setTabOrder(self.box, self.passphrase)
        QWidget.setTabOrder(self.passphrase, self.again)

    def _field(self, name: str, description: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setObjectName(name)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(description)
        return field

    def _toggled(self, on: bool) -> None:
        for field in (self.passphrase, self.again):
            field.setEnabled(on)
            if not on:
                field.clear()

    def wanted(self) -> bool:
        return self.box.isChecked()

    def refusal(self, location: str) -> tuple[QWidget | None, str] | None:
        """Why an encrypted workspace cannot be made at ``location`` ("" = the default
        folder) with the passphrase typed: the field to correct (``None``: the folder)
        and the sentence, or ``None``."""
        if not location:
            return None, ("Give the folder of the new encrypted workspace above (a new or "
                          "empty folder); the workspace open now stays as it is.")
        path = Workspace.resolve(location)
        if path == self.created:
            return None  # made already (the analyst went back and on again)
        if not Workspace.can_create(path):
            return None, (f"{path} is not empty; an encrypted workspace is made in a new "
                          "or empty folder.")
        if not self.passphrase.text():
            return self.passphrase, "Type the passphrase that will open the new workspace."
        if self.again.text() != self.passphrase.text():
            self.again.clear()
            return self.again, "The two passphrases differ; type the passphrase again."
        return None

    def make(self, location: str) -> None:
        """Make the encrypted workspace at ``location`` (checked by :meth:`refusal`);
        ``WorkstationError`` when it cannot be made."""
        path = Workspace.resolve(location)
        if path == self.created:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # scrypt: a second
        try:
            Workspace.create_encrypted(path, self.passphrase.text()).close()
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.created = path
        self.passphrase.clear()
        self.again.clear()
        log.info("created a new encrypted workspace at %s", path)
