"""Contacts and keys (Workspace → Contacts and keys…, Ctrl+Shift+K).

Two halves:

* **the agency's keys** — the Ed25519 signing key (its minisign public key is
  what platforms verify packs with) and the age archive recipient: listed with
  their fingerprints; created (``ws.keys.init``) when there are none,
  rotated (``ws.keys.rotate``, the old public key kept), and the public key shown,
  copied or exported to a ``.pub`` file, which the core writes
  (``ws.keys.write_public_key``);
* **platform contacts** — the people packs are encrypted to: added (the core
  checks every ``age1…`` / ``ssh-ed25519`` key and its message is shown), marked
  verified once their fingerprints were compared out of band, imported from and
  exported to the core's contacts file (written by ``ws.contacts.write_file``, as
  ``workstation contact export`` does).

Fingerprints are shown large, monospaced and selectable, in groups of four
characters, so two people can read them to each other over the phone.  Every
change runs on the writer through :meth:`ui.common.operations.Operations.run` (key
creation may ask for the secret store's passphrase); the lists re-read through
the read-only workspace when ``ops.contactsChanged`` fires.  Files are written by
the core on the background connection, off the GUI thread; the window holds no
file format of its own.  It gets the session and the operations, never the main
window.

:func:`offer_agency_keys` is the first-start question "Create the agency signing
key now?" (``ui.app`` asks it after the analyst's name).  The add-contact and
verify dialogs, and the fingerprint labels, are in :mod:`ui.contacts.contactdialogs`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.common.background import Background
from ui.common.errors import message_for, show_error
from ui.common.operations import Operations
from ui.common.qtutil import buddy_label, emit, readonly_table
from ui.common.session import Session
from ui.common.tasks import Task
from ui.contacts.contactdialogs import (
    ContactDialog,
    VerifyDialog,
    contact_fingerprints,
    fingerprint_label,
    spoken,
)
from ui.packs.issuer import ask_issuer
from workstation.packs.models import AgencyKey, Contact
from workstation.platforms import platform_label
from workstation.workspace import Workspace

IdRole = Qt.ItemDataRole.UserRole + 1
KEYS_CREATED = ("The agency keys were created. Give platforms the public key "
                "(Workspace → Contacts and keys → Export public key).")


def create_agency_keys(ops: Operations, notify: Callable[[str], None] | None = None,
                       on_done: Callable[[list[AgencyKey]], None] | None = None) -> Task:
    """Create the agency's signing key and archive identity on the writer (the
    passphrase dialog appears when the keys go to encrypted files); ``notify`` gets
    the sentence to show once they exist."""

    def created(keys: list[AgencyKey]) -> None:
        if notify is not None:
            notify(KEYS_CREATED)
        if on_done is not None:
            on_done(keys)

    return ops.run("Creating the agency keys", lambda ws, _task: ws.keys.init(),
                   on_done=created, changed=(ops.contactsChanged,))


def offer_agency_keys(reader: Workspace, ops: Operations, parent: QWidget | None = None,
                      notify: Callable[[str], None] | None = None) -> QMessageBox | None:
    """When the workspace has no agency keys, ask (without blocking, over ``parent``)
    whether to create them now; Yes creates them, Later leaves it for Contacts and keys.
    ``None`` when there is nothing to offer."""
    if reader.keys.all():
        return None
    box = QMessageBox(QMessageBox.Icon.Question, "Agency keys",
                      "Create the agency signing key now?",
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("keyOfferBox")
    box.setInformativeText(
        "Alert packs are signed with it so platforms can check they come from the agency, "
        "and a copy of each pack is encrypted to the agency's archive key. You can also "
        "create them later in Workspace → Contacts and keys.")
    yes = box.addButton(QMessageBox.StandardButton.Yes)
    yes.setObjectName("createKeysNow")
    later = box.addButton("&Later", QMessageBox.ButtonRole.RejectRole)
    later.setObjectName("keysLater")
    box.setDefaultButton(yes)
    box.setEscapeButton(later)

    def answered(button: object) -> None:
        if button is yes:
            create_agency_keys(ops, notify)

    box.buttonClicked.connect(answered)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class ContactsWindow(QDialog):
    """The agency's keys and the platform contacts.

    Signals:
        reloaded(): both lists show what is stored now.
        exported(str): a file was written (the sentence shown in ``status``).

    Attributes:
        session: the open ``Session`` (the read-only workspace, background reads).
        ops: the write side (every change, on the writer).
        keys_table: the agency keys (kind, key id, fingerprint, created, retired).
        public_key: the current signing key in minisign's ``.pub`` format.
        agency_fingerprint: the current signing key's fingerprint, large.
        contacts_table: the contacts (platform, name, organisation, e-mail, verified,
            fingerprints).
        contact_fingerprints: the selected contact's fingerprints, large.
        status: what the last import or export did.
        create_button, rotate_button, copy_button, export_key_button: key actions.
        add_button, verify_button, import_button, export_button: contact actions.
        dialog: the add/verify dialog open now, if any.
    """

    reloaded = Signal()
    exported = Signal(str)

    def __init__(self, session: Session, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("contactsWindow")
        self.setWindowTitle("Contacts and keys")
        self.session = session
        self.ops = ops
        self.dialog: QDialog | None = None
        self._writes = Background(1, self)  # files written off the GUI thread
        self.finished.connect(lambda _result: self._writes.shutdown())
        self._contacts: list[Contact] = []
        self._public_text = ""

        keys_box = QGroupBox("Agency keys", self)
        self.keys_table = readonly_table(
            ("Kind", "Key id", "Fingerprint", "Created (UTC)", "Retired"), self, "agencyKeys",
            single=True)
        self.keys_table.setMaximumHeight(150)
        self.agency_fingerprint = fingerprint_label(self, "agencyFingerprint")
        self.public_key = QPlainTextEdit(self)
        self.public_key.setObjectName("agencyPublicKey")
        self.public_key.setReadOnly(True)
        self.public_key.setTabChangesFocus(True)
        self.public_key.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.public_key.setMaximumHeight(64)
        self.create_button = self._button("&Create keys", "createKeys", self.create_keys)
        self.rotate_button = self._button("&Rotate signing key…", "rotateKey", self.rotate_key)
        self.copy_button = self._button("Co&py public key", "copyPublicKey",
                                        self.copy_public_key)
        self.export_key_button = self._button("E&xport public key…", "exportPublicKey",
                                              self.export_public_key)
        self.issuer_button = self._button(  # ui/packs/issuer.py: who every pack names
            "Issuer i&dentity…", "issuerIdentity",
            lambda: ask_issuer(self.session.reader, self.ops, parent=self))
        row = QHBoxLayout()
        for button in (self.create_button, self.rotate_button, self.copy_button,
                       self.export_key_button, self.issuer_button):
            row.addWidget(button)
        row.addStretch(1)
        box_layout = QVBoxLayout(keys_box)
        box_layout.addWidget(self.keys_table)
        box_layout.addWidget(QLabel("Signing key fingerprint (read it to platforms):", self))
        box_layout.addWidget(self.agency_fingerprint)
        box_layout.addWidget(buddy_label("Public key (&minisign):", self, self.public_key))
        box_layout.addWidget(self.public_key)
        box_layout.addLayout(row)

        contacts_box = QGroupBox("Platform contacts", self)
        self.contacts_table = readonly_table(
            ("Platform", "Name", "Organisation", "E-mail", "Verified", "Fingerprints"), self,
            "contactsTable", single=True)
        self.contacts_table.itemSelectionChanged.connect(self._contact_chosen)
        self.contacts_table.doubleClicked.connect(lambda _index: self.verify_contact())
        self.contact_fingerprints = fingerprint_label(self, "contactFingerprints")
        self.add_button = self._button("&Add contact…", "addContact", self.add_contact)
        self.verify_button = self._button("Mark &verified…", "verifyContact",
                                          self.verify_contact)
        self.import_button = self._button("&Import…", "importContacts", self.import_contacts)
        self.export_button = self._button("Expor&t contacts…", "exportContacts",
                                          self.export_contacts)
        self.status = QLabel(self)
        self.status.setObjectName("contactsStatus")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        for button in (self.add_button, self.verify_button, self.import_button,
                       self.export_button):
            row.addWidget(button)
        row.addStretch(1)
        box_layout = QVBoxLayout(contacts_box)
        box_layout.addWidget(self.contacts_table, 1)
        box_layout.addWidget(QLabel("Fingerprints of the selected contact:", self))
        box_layout.addWidget(self.contact_fingerprints)
        box_layout.addLayout(row)
        box_layout.addWidget(self.status)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(keys_box)
        layout.addWidget(contacts_box, 1)
        layout.addWidget(close)
        for first, second in ((self.contacts_table, self.add_button),
                              (self.add_button, self.verify_button),
                              (self.verify_button, self.import_button),
                              (self.import_button, self.export_button),
                              (self.export_button, self.keys_table),
                              (self.keys_table, self.public_key),
                              (self.public_key, self.create_button),
                              (self.create_button, self.rotate_button),
                              (self.rotate_button, self.copy_button),
                              (self.copy_button, self.export_key_button),
                              (self.export_key_button, self.issuer_button)):
            QWidget.setTabOrder(first, second)
        self.resize(980, 720)
        ops.contactsChanged.connect(self.reload)
        self.reload()
        self.contacts_table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # ----------------------------------------------------------- reading
    def reload(self) -> None:
        """Re-read the keys and the contacts (the selection is kept)."""
        reader = self.session.reader
        keys = reader.keys.all()
        self.keys_table.setRowCount(len(keys))
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for r, key in enumerate(keys):
            cells = [key.kind, key.key_id, spoken(key.fingerprint), key.created_at,
                     key.retired_at or "current"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setFont(mono)
                self.keys_table.setItem(r, c, item)
        current = [k for k in keys if k.kind == "signing" and not k.retired_at]
        if current:
            self._public_text = reader.keys.export_public_key()
            self.agency_fingerprint.setText(
                f"{spoken(current[0].fingerprint)}    (key id {current[0].key_id})")
        else:
            self._public_text = ""
            self.agency_fingerprint.setText("No agency keys yet: create them to sign packs.")
        self.public_key.setPlainText(self._public_text)
        self.create_button.setEnabled(not current)
        for button in (self.rotate_button, self.copy_button, self.export_key_button):
            button.setEnabled(bool(current))

        chosen = self.selected_contact_id()
        self._contacts = reader.contacts.all()
        table = self.contacts_table
        table.blockSignals(True)
        table.setRowCount(len(self._contacts))
        for r, contact in enumerate(self._contacts):
            verified = (f"{contact.verified_by}, {contact.verified_at}" if contact.verified
                        else "NOT VERIFIED")
            cells = [platform_label(contact.platform), contact.name, contact.organisation or "",
                     contact.email, verified,
                     "; ".join(spoken(k.fingerprint) for k in contact.recipients)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(IdRole, contact.id)
                if c == 5:
                    item.setFont(mono)
                if c == 4 and contact.verify_note:
                    item.setToolTip(contact.verify_note)
                table.setItem(r, c, item)
            if contact.id == chosen:
                table.selectRow(r)
        table.blockSignals(False)
        self._contact_chosen()
        emit(self.reloaded)

    def contacts(self) -> list[Contact]:
        """The contacts shown, in table order."""
        return list(self._contacts)

    def selected_contact_id(self) -> int | None:
        rows = self.contacts_table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(IdRole)
        return int(value) if value is not None else None

    def selected_contact(self) -> Contact | None:
        chosen = self.selected_contact_id()
        return next((c for c in self._contacts if c.id == chosen), None)

    def select_contact(self, contact_id: int) -> None:
        for r, contact in enumerate(self._contacts):
            if contact.id == contact_id:
                self.contacts_table.selectRow(r)

    def _contact_chosen(self) -> None:
        contact = self.selected_contact()
        self.verify_button.setEnabled(contact is not None)
        if contact is None:
            self.contact_fingerprints.setText("Choose a contact to see their key fingerprints.")
            return
        state = (f"verified by {contact.verified_by} at {contact.verified_at}"
                 if contact.verified else "not verified yet")
        self.contact_fingerprints.setText(
            f"{contact.name} <{contact.email}> — {state}\n{contact_fingerprints(contact)}")

    # ----------------------------------------------------------- keys
    def create_keys(self) -> None:
        self.create_button.setEnabled(False)
        create_agency_keys(self.ops, self.status.setText)

    def rotate_key(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, "Rotate the signing key",
                          "Replace the agency signing key with a new one?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setObjectName("rotateConfirmBox")
        box.setInformativeText("Packs already sent still verify with the old public key, "
                               "which is kept. Send platforms the new public key before "
                               "the next pack.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(result: int) -> None:
            if result == QMessageBox.StandardButton.Yes:
                self.ops.run("Rotating the signing key", lambda ws, _task: ws.keys.rotate(),
                             changed=(self.ops.contactsChanged,),
                             on_done=lambda _keys: self.status.setText(
                                 "New signing key; send platforms the new public key."))

        box.finished.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def copy_public_key(self) -> None:
        if self._public_text:
            QGuiApplication.clipboard().setText(self._public_text)
            self.status.setText("The agency public key is on the clipboard.")

    def export_public_key(self) -> None:
        if not self._public_text:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export the agency public key", "agency.pub",
            "minisign public key (*.pub);;All files (*)")
        if not path:
            return
        # The file dialog asked before replacing a file.
        self._write_file("Export public key",
                         lambda ws: ws.keys.write_public_key(path, overwrite=True),
                         lambda _text: f"Agency public key written to {path} (minisign "
                                       "format).")

    def _write_file(self, title: str, write: Callable[[Workspace], Any],
                    done: Callable[[Any], str]) -> None:
        """Have the core write a file (``write`` on the background connection, off the
        GUI thread: a network share may be slow); then say so, or show why not."""

        def written(result: Any) -> None:
            sentence = done(result)
            self.status.setText(sentence)
            emit(self.exported, sentence)

        def failed(exc: BaseException) -> None:
            show_error(self, title, message_for(exc))

        self._writes.call(lambda: self.session.read_in_background(write), written, failed)

    # ----------------------------------------------------------- contacts
    def add_contact(self) -> ContactDialog:
        dialog = ContactDialog(self.ops, self)
        dialog.added.connect(lambda contact: self._added(contact))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _added(self, contact: Contact) -> None:
        self.select_contact(contact.id)
        self.status.setText(f"Added {contact.name}. Compare the fingerprints with them over "
                            "a separate channel, then mark the contact verified.")

    def verify_contact(self) -> VerifyDialog | None:
        contact = self.selected_contact()
        if contact is None:
            return None
        dialog = VerifyDialog(self.ops, contact, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def import_contacts(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Import contacts", "", "Contacts file (*.json);;All files (*)")
        if not path:
            return

        def imported(results: list[tuple[str, Contact]]) -> None:
            added = sum(1 for status, _c in results if status == "imported")
            known = len(results) - added
            self.status.setText(
                f"Imported {added} contact(s)"
                + (f"; {known} already here" if known else "")
                + ". Imported contacts are unverified until you compare their fingerprints.")

        self.ops.run("Importing contacts", lambda ws, _task: ws.contacts.import_file(path),
                     on_done=imported, changed=(self.ops.contactsChanged,))

    def export_contacts(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export contacts", "contacts.json", "Contacts file (*.json);;All files (*)")
        if not path:
            return
        # The file dialog asked before replacing a file.
        self._write_file("Export contacts",
                         lambda ws: ws.contacts.write_file(path, overwrite=True),
                         lambda count: f"Exported {count} contact(s) to {path}.")


def open_contacts(session: Session, ops: Operations, parent: QWidget) -> ContactsWindow:
    """Show the Contacts and keys window over ``parent`` (one per parent)."""
    existing = parent.findChild(ContactsWindow)
    contacts = (existing if isinstance(existing, ContactsWindow)
                else ContactsWindow(session, ops, parent))
    contacts.reload()
    contacts.show()
    contacts.raise_()
    contacts.activateWindow()
    return contacts
