"""Workspace → Colleagues… → Add colleague…: a colleague's name, the age recipient line
their workspace gives (``age1…``) and their minisign public key file (``.pub``), chosen
with a file dialog or typed.

The dialog stays open until the writer has stored the colleague: the file is read and
every key checked by the core (``ws.colleagues.read_minisign_file``,
``ws.colleagues.add``) on the writer, and what it refuses is shown in the form as its
one sentence, with nothing typed lost."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.operations import Operations
from ui.common.qtutil import buddy_label, emit
from ui.common.tasks import Task
from workstation.exchange.colleagues import Colleague
from workstation.workspace import Workspace


class AddColleagueDialog(QDialog):
    """Add a colleague.

    Signals:
        added(object): the stored ``Colleague``.

    Attributes:
        ops: the write side (the colleague is stored on the writer).
        name, recipient, minisign_file: the form.
        browse_button: chooses the minisign public key file.
        problem: why the colleague was refused, if it was.
        buttons: Add and Cancel.
    """

    added = Signal(object)

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addColleagueDialog")
        self.setWindowTitle("Add a colleague")
        self.ops = ops
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        intro = QLabel("Ask your colleague for their workspace's age recipient and its "
                       "minisign public key file (Workspace → Colleagues… in their "
                       "window), then read the fingerprints to each other by phone.", self)
        intro.setWordWrap(True)
        self.name = QLineEdit(self)
        self.name.setObjectName("colleagueName")
        self.name.setPlaceholderText("e.g. Alice Brown, Kent Police")
        self.recipient = QLineEdit(self)
        self.recipient.setObjectName("colleagueRecipient")
        self.recipient.setFont(mono)
        self.recipient.setPlaceholderText("age1…")
        self.minisign_file = QLineEdit(self)
        self.minisign_file.setObjectName("colleagueMinisignFile")
        self.minisign_file.setPlaceholderText("their .pub file")
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.setObjectName("browseMinisign")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(lambda _checked=False: self.browse())
        where = QHBoxLayout()
        where.addWidget(self.minisign_file, 1)
        where.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(buddy_label("&Name:", self, self.name), self.name)
        form.addRow(buddy_label("Age &recipient:", self, self.recipient), self.recipient)
        form.addRow(buddy_label("Minisign public key &file:", self, self.minisign_file), where)
        self.problem = QLabel(self)
        self.problem.setObjectName("colleagueProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Add")
        ok.setObjectName("addColleagueOk")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(640, 260)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def browse(self) -> None:
        """Choose the colleague's minisign public key file."""
        path, _filter = QFileDialog.getOpenFileName(
            self, "Your colleague's minisign public key", self.minisign_file.text(),
            "minisign public key (*.pub);;All files (*)")
        if path:
            self.minisign_file.setText(path)
            self.minisign_file.setFocus(Qt.FocusReason.OtherFocusReason)

    def refuse(self, message: str, field: QWidget | None = None) -> None:
        """Show why the colleague was not added; the form keeps what was typed."""
        self.problem.setText(message)
        self.problem.setVisible(True)
        self.buttons.setEnabled(True)
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)

    def accept(self) -> None:
        name = self.name.text().strip()
        recipient = self.recipient.text().strip()
        path = self.minisign_file.text().strip()
        for value, field, sentence in (
                (name, self.name, "Type the colleague's name."),
                (recipient, self.recipient, "Paste the colleague's age recipient (age1…)."),
                (path, self.minisign_file, "Choose the colleague's minisign public key "
                                           "file (.pub).")):
            if not value:
                self.refuse(sentence, field)
                return
        self.buttons.setEnabled(False)
        self.problem.setVisible(False)

        def add(ws: Workspace, _task: Task) -> Colleague:
            return ws.colleagues.add(name, recipient, ws.colleagues.read_minisign_file(path))

        self.ops.run("Adding a colleague", add, on_done=self._added, on_error=self.refuse,
                     changed=(self.ops.contactsChanged,))

    def _added(self, colleague: Colleague) -> None:
        emit(self.added, colleague)
        super().accept()
