"""The contact dialogs of Contacts and keys (:mod:`ui.contacts.contacts`): adding a platform
contact (:class:`ContactDialog`) and recording that a contact's fingerprints were
compared out of band (:class:`VerifyDialog`), with the large, monospaced fingerprint
labels both windows show (groups of four characters, to read aloud)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.common.errors import message_for
from ui.common.qtutil import buddy_label, emit
from workstation.crypto.recipients import parse_recipient
from workstation.errors import WorkstationError
from workstation.packs.models import Contact
from workstation.platforms import PLATFORMS, platform_label

if TYPE_CHECKING:
    from ui.common.operations import Operations


def spoken(fingerprint: str) -> str:
    """``fingerprint`` in groups of four characters (``1a2b 3c4d …``), to read aloud."""
    compact = "".join(fingerprint.split())
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def fingerprint_font(scale: float = 1.35) -> QFont:
    """The system's fixed-width font, a little larger than the text around it."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(size * scale)
    return font


def fingerprint_label(parent: QWidget, name: str) -> QLabel:
    """A large, monospaced, selectable label for fingerprints."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setFont(fingerprint_font())
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setWordWrap(True)
    return label


def contact_fingerprints(contact: Contact) -> str:
    """One line per recipient key: its kind and its grouped fingerprint; and the
    platform's minisign key (which signs its replies), when one is recorded."""
    lines = [f"{key.kind:<11} {spoken(key.fingerprint)}" for key in contact.recipients]
    if contact.minisign_fingerprint:
        lines.append(f"{'minisign':<11} {spoken(contact.minisign_fingerprint)}")
    return "\n".join(lines)


class ContactDialog(QDialog):
    """Add a platform contact.  The dialog stays open until the writer has stored the
    contact; what the core refuses (a malformed key, an e-mail address) is shown in it.

    Signals:
        added(object): the stored ``Contact``.

    Attributes:
        ops: the write side (the contact is stored on the writer).
        platform, name, organisation, role, email: the contact's details.
        recipients: the contact's public keys, one per line.
        problem: why the contact was refused, if it was.
    """

    added = Signal(object)

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactDialog")
        self.setWindowTitle("Add a platform contact")
        self.ops = ops
        self.platform = QComboBox(self)
        self.platform.setObjectName("platform")
        for name in PLATFORMS:
            self.platform.addItem(platform_label(name), name)
        self.name = QLineEdit(self)
        self.name.setObjectName("name")
        self.organisation = QLineEdit(self)
        self.organisation.setObjectName("organisation")
        self.organisation.setPlaceholderText("e.g. Meta Platforms — Law Enforcement Response")
        self.role = QLineEdit(self)
        self.role.setObjectName("role")
        self.email = QLineEdit(self)
        self.email.setObjectName("email")
        self.email.setPlaceholderText("name@example.com")
        self.recipients = QPlainTextEdit(self)
        self.recipients.setObjectName("recipients")
        self.recipients.setTabChangesFocus(True)
        self.recipients.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.recipients.setPlaceholderText("age1…  or  ssh-ed25519 AAAA… — one key per line")
        self.problem = QLabel(self)
        self.problem.setObjectName("contactProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        form = QFormLayout()
        form.addRow(buddy_label("&Platform:", self, self.platform), self.platform)
        form.addRow(buddy_label("&Name:", self, self.name), self.name)
        form.addRow(buddy_label("&Organisation:", self, self.organisation), self.organisation)
        form.addRow(buddy_label("&Role:", self, self.role), self.role)
        form.addRow(buddy_label("&E-mail:", self, self.email), self.email)
        form.addRow(buddy_label("Public &keys:", self, self.recipients), self.recipients)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Add")
        ok.setObjectName("addContactOk")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(600, 420)
        self.platform.setFocus(Qt.FocusReason.OtherFocusReason)

    def keys(self) -> list[str]:
        """The non-empty lines of the keys box."""
        return [line.strip() for line in self.recipients.toPlainText().splitlines()
                if line.strip()]

    def refuse(self, message: str, field: QWidget | None = None) -> None:
        self.problem.setText(message)
        self.problem.setVisible(True)
        self.buttons.setEnabled(True)
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)

    def accept(self) -> None:
        keys = self.keys()
        if not keys:
            self.refuse("Paste the contact's public key (age1… or ssh-ed25519 …), one per "
                        "line.", self.recipients)
            return
        for number, text in enumerate(keys, start=1):
            try:
                parse_recipient(text)
            except WorkstationError as exc:
                where = f"Key {number}: " if len(keys) > 1 else ""
                self.refuse(f"{where}{message_for(exc)}", self.recipients)
                return
        platform = str(self.platform.currentData())
        name, email = self.name.text(), self.email.text()
        org, role = self.organisation.text(), self.role.text()
        self.buttons.setEnabled(False)
        self.problem.setVisible(False)

        def add(ws: Any, _task: Any) -> Contact:
            return ws.contacts.add(platform, name, email, keys, organisation=org or None,
                                  role=role or None)

        self.ops.run("Adding a contact", add, on_done=self._added, on_error=self.refuse,
                     changed=(self.ops.contactsChanged,))

    def _added(self, contact: Contact) -> None:
        emit(self.added, contact)
        super().accept()


class VerifyDialog(QDialog):
    """Record that a contact's fingerprints were compared out of band.

    Attributes:
        ops: the write side (the verification is stored on the writer).
        contact: the contact.
        fingerprints: the grouped fingerprints, large and selectable.
        note: how they were checked (optional, audited).
    """

    def __init__(self, ops: Operations, contact: Contact,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verifyDialog")
        self.setWindowTitle(f"Verify {contact.name}")
        self.ops = ops
        self.contact = contact
        intro = QLabel(f"Call {contact.name} ({contact.platform}) on a number you found "
                       "yourself — not one from their e-mail — and read these fingerprints "
                       "to each other. Mark the contact verified only if every group "
                       "matches.", self)
        intro.setWordWrap(True)
        self.fingerprints = fingerprint_label(self, "verifyFingerprints")
        self.fingerprints.setText(contact_fingerprints(contact))
        self.note = QLineEdit(self)
        self.note.setObjectName("verifyNote")
        self.note.setPlaceholderText("e.g. compared by phone with J. Doe, +1 650 …")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Mark verified")
        ok.setObjectName("verifyOk")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(buddy_label("How &checked:", self, self.note), self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.fingerprints)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.note.setFocus(Qt.FocusReason.OtherFocusReason)

    def accept(self) -> None:
        contact_id, note = self.contact.id, self.note.text().strip() or None
        self.ops.run("Verifying a contact",
                     lambda ws, _task: ws.contacts.verify(contact_id, note),
                     changed=(self.ops.contactsChanged,))
        super().accept()
