"""Asking for the secret store's passphrase from the writer thread.

The agency's keys and the SMTP password live in the OS keyring where a secure
one exists; otherwise in passphrase-encrypted files (see
:mod:`workstation.crypto.secretstore`).  The store asks for the passphrase only when it
really needs it, and it asks on the thread that is using it — the writer
thread.  :class:`PassphraseBridge` turns that request into a dialog on the GUI
thread and hands the answer back, so the writer waits and the GUI never does.

The passphrase is held in memory by the writer's secret store once proven, and
is never written, logged or shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.common.qtutil import buddy_label, emit
from workstation.crypto.secretstore import PassphraseRequest, PassphraseUnavailable

MIN_NEW_PASSPHRASE = 8

#: A check of a typed passphrase: ``""`` when it is accepted, else the sentence to show.
Check = Callable[[str], str]


class PassphraseDialog(QDialog):
    """Ask for a passphrase (twice when one is being chosen).

    ``prompt`` replaces the request's own sentence; ``check`` (see :data:`Check`) is
    asked before the dialog is accepted: a refusal is shown in the dialog, the field is
    emptied and the passphrase asked for again.

    Attributes:
        request: what the passphrase is for.
        field, again: the passphrase fields (``again`` only when creating).
        problem: the sentence saying why the passphrase was not accepted.
    """

    def __init__(self, request: PassphraseRequest, parent: QWidget | None = None, *,
                 prompt: str = "", check: Check | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle("Choose a passphrase" if request.creating else "Passphrase")
        self.request = request
        self.check = check
        layout = QVBoxLayout(self)
        intro = QLabel(prompt or request.prompt, self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if request.creating:
            note = QLabel("There is no secure OS keyring here, so the agency's keys are kept "
                          "in files encrypted with this passphrase. It cannot be recovered: "
                          f"choose at least {MIN_NEW_PASSPHRASE} characters and keep it safe.",
                          self)
            note.setWordWrap(True)
            layout.addWidget(note)
        form = QFormLayout()
        self.field = QLineEdit(self)
        self.field.setObjectName("passphrase")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(buddy_label("&Passphrase:", self, self.field), self.field)
        self.again: QLineEdit | None = None
        if request.creating:
            self.again = QLineEdit(self)
            self.again.setObjectName("passphraseAgain")
            self.again.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow(buddy_label("&Again:", self, self.again), self.again)
        layout.addLayout(form)
        self.problem = QLabel(self)
        self.problem.setObjectName("passphraseProblem")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def passphrase(self) -> str:
        return self.field.text()

    def accept(self) -> None:
        text = self.field.text()
        if not text:
            self.problem.setText("Type the passphrase.")
            return
        if self.again is not None:
            if len(text) < MIN_NEW_PASSPHRASE:
                self.problem.setText(
                    f"Choose a passphrase of at least {MIN_NEW_PASSPHRASE} characters.")
                return
            if self.again.text() != text:
                self.problem.setText("The two passphrases differ; type them again.")
                self.again.clear()
                self.again.setFocus()
                return
        refused = self.check(text) if self.check is not None else ""
        if refused:
            self.problem.setText(refused)
            self.field.clear()
            self.field.setFocus()
            return
        super().accept()


class PassphraseBridge(QObject):
    """A ``PassphraseProvider`` for the writer's secret store that asks on the GUI thread.

    Call it (``bridge(request)``) from any thread but the GUI thread; it blocks
    that thread until the analyst answers.  A cancelled dialog raises
    ``PassphraseUnavailable`` in the caller, so the task fails with a sentence.

    Signals:
        requested(object): a ``PassphraseRequest`` to answer (delivered on the GUI thread).
        asked(object): the dialog shown for a request (tests answer it).

    Attributes:
        parent_widget: the window the dialogs are shown over.
        dialog: the dialog now shown, if any.
    """

    requested = Signal(object)
    asked = Signal(object)

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.dialog: PassphraseDialog | None = None
        self._lock = threading.Lock()
        self._answer: str | None = None
        self._done = threading.Event()
        self._closed = False
        self.requested.connect(self._ask)

    def __call__(self, request: PassphraseRequest) -> str:
        if QThread.currentThread() is self.thread():
            raise PassphraseUnavailable("The passphrase can only be asked for by the writer.")
        with self._lock:  # one question at a time
            if self._closed:
                raise PassphraseUnavailable("The application is closing.")
            self._answer = None
            self._done.clear()
            emit(self.requested, request)
            self._done.wait()
            answer, self._answer = self._answer, None
        if not answer:
            raise PassphraseUnavailable("No passphrase was given; nothing was changed.")
        return answer

    def _ask(self, request: PassphraseRequest) -> None:
        dialog = PassphraseDialog(request, self.parent_widget)
        self.dialog = dialog
        dialog.finished.connect(lambda result: self._finish(dialog, result))
        dialog.open()
        emit(self.asked, dialog)

    def _finish(self, dialog: PassphraseDialog, result: int) -> None:
        self._answer = dialog.passphrase() if result == QDialog.DialogCode.Accepted else None
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        self._done.set()

    def close(self) -> None:
        """Release a waiting writer (as if cancelled) and refuse further questions."""
        self._closed = True
        if self.dialog is not None:
            self.dialog.reject()
        self._answer = None
        self._done.set()
