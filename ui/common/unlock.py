"""A workspace encrypted at rest, in the window: its passphrase asked for before it is
opened, and changed from Workspace → Change passphrase….

Opening an encrypted workspace (:mod:`workstation.crypto.unlock`) needs its data key.
When neither this process nor the OS keyring holds it, :func:`unlock_workspace` asks
for the passphrase in the app's passphrase dialog (:class:`ui.common.passphrase.PassphraseDialog`)
before anything is opened: a wrong one is said in the dialog and asked for again,
Cancel opens nothing.  Once unlocked the key stays in this process's memory, so the
session's other connections (its reader, its background reader) open without asking.

The passphrase is never logged, stored in the settings or shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.passphrase import PassphraseDialog
from ui.common.qtutil import buddy_label
from workstation.crypto import unlock
from workstation.crypto.secretstore import PassphraseRequest, WrongPassphrase
from workstation.errors import WorkstationError
from workstation.workspace import Workspace

log = logging.getLogger(__name__)

WRONG = "Wrong passphrase; nothing was opened. Type it again."


def needs_unlock(workspace: Path | str | None) -> bool:
    """Whether opening ``workspace`` needs its passphrase asked for first: it is
    encrypted and its key is neither in this process nor in the OS keyring."""
    path = Workspace.resolve(workspace)
    if not Workspace.is_encrypted(path):
        return False
    try:
        return unlock.cached_key(path) is None
    except WorkstationError:  # a damaged key file: opening it says so
        return False


def try_passphrase(path: Path, passphrase: str) -> str:
    """Unlock ``path`` with ``passphrase`` (its key is then kept for this process):
    ``""``, or the sentence saying why not (a :data:`ui.common.passphrase.Check`)."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # scrypt: about a second
    try:
        unlock.data_key(path, passphrase)
    except WrongPassphrase:
        return WRONG
    except WorkstationError as exc:
        return message_for(exc)
    finally:
        QGuiApplication.restoreOverrideCursor()
    return ""


def unlock_dialog(workspace: Path | str | None, parent: QWidget | None = None
                  ) -> PassphraseDialog:
    """The dialog asking for the passphrase of the encrypted ``workspace``; accepted
    only once the passphrase has unlocked it (``unlockDialog``)."""
    path = Workspace.resolve(workspace)
    dialog = PassphraseDialog(
        PassphraseRequest("workspace", path, creating=False), parent,
        prompt=f"The workspace at {path} is encrypted. Type its passphrase to open it.",
        check=lambda text: try_passphrase(path, text))
    dialog.setObjectName("unlockDialog")
    dialog.setWindowTitle("Unlock the workspace")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    return dialog


def unlock_workspace(workspace: Path | str | None, parent: QWidget | None = None) -> bool:
    """Make ``workspace`` openable: ``True`` when it needs no passphrase or was unlocked
    now, ``False`` when the analyst cancelled (nothing was opened or written)."""
    if not needs_unlock(workspace):
        return True
    dialog = unlock_dialog(workspace, parent)
    try:
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.field.clear()
        dialog.deleteLater()
    if not accepted:
        log.info("the encrypted workspace was not unlocked; nothing was opened")
    return accepted


def _password_field(name: str, parent: QWidget) -> QLineEdit:
    field = QLineEdit(parent)
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class ChangePassphraseDialog(QDialog):
    """Workspace → Change passphrase…: the passphrase now, the new one twice; the
    change is made on the writer (``Workspace.change_passphrase``, audited).

    A wrong passphrase, or any refusal, is said in the dialog; success closes it and
    is said in the status bar (``notify``).

    Attributes:
        old, new, again: the passphrase fields (``oldPassphrase``, ``newPassphrase``,
            ``newPassphraseAgain``).
        problem: why the change was not made (``changePassphraseProblem``).
        buttons: OK and Cancel (disabled while the change is made).
    """

    def __init__(self, ops: Operations, notify: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changePassphraseDialog")
        self.setWindowTitle("Change the workspace's passphrase")
        self.ops = ops
        self.notify = notify
        layout = QVBoxLayout(self)
        intro = QLabel("The workspace's data stays as it is; only the passphrase that "
                       "opens it changes. It cannot be recovered: keep the new one safe.",
                       self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.old = _password_field("oldPassphrase", self)
        self.new = _password_field("newPassphrase", self)
        self.again = _password_field("newPassphraseAgain", self)
        form.addRow(buddy_label("&Passphrase now:", self, self.old), self.old)
        form.addRow(buddy_label("&New passphrase:", self, self.new), self.new)
        form.addRow(buddy_label("New passphrase &again:", self, self.again), self.again)
        layout.addLayout(form)
        self.problem = QLabel(self)
        self.problem.setObjectName("changePassphraseProblem")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _refuse(self, text: str, field: QLineEdit) -> None:
        self.problem.setText(text)
        field.clear()
        field.setFocus()

    def accept(self) -> None:
        """Check the fields, then change the passphrase on the writer."""
        old, new = self.old.text(), self.new.text()
        if not old:
            self._refuse("Type the passphrase the workspace has now.", self.old)
        elif not new:
            self._refuse("Type the new passphrase.", self.new)
        elif self.again.text() != new:
            self._refuse("The two new passphrases differ; type the new one again.",
                         self.again)
        else:
            self.problem.setText("Changing the passphrase…")
            self.buttons.setEnabled(False)
            self.ops.run("Changing the passphrase",
                         lambda ws, _task: _change(ws, old, new),
                         on_done=self._changed, on_error=self._failed)

    def _changed(self, changed: object) -> None:
        if not changed:
            self._failed("The passphrase now is wrong; nothing was changed.")
            return
        for field in (self.old, self.new, self.again):
            field.clear()
        self.notify("The workspace's passphrase was changed; use the new one from now on.")
        super().accept()

    def _failed(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self._refuse(message, self.old)


def _change(ws: Workspace, old: str, new: str) -> bool:
    """On the writer: change the passphrase; ``False`` when ``old`` is wrong."""
    try:
        ws.change_passphrase(old, new)
    except WrongPassphrase:
        return False
    return True


def change_passphrase(ops: Operations, notify: Callable[[str], None],
                      parent: QWidget | None = None) -> ChangePassphraseDialog:
    """Open the Change passphrase dialog (window-modal) and return it."""
    dialog = ChangePassphraseDialog(ops, notify, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
