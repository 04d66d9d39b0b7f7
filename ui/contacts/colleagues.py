"""Colleagues (Workspace → Colleagues…): the other analysts' workspaces a case is given
to (Case → Export…) and taken from (File → Import case…), see docs/case-exchange.md.

Two halves:

* **colleagues** — each one's name, the fingerprint of their age recipient (what a case
  bundle is encrypted to) and the key id and fingerprint of their minisign key (what
  their bundles must be signed with), large and grouped to read over the phone; added
  with *Add colleague…* (their age recipient line and their minisign ``.pub`` file,
  checked by the core, its refusal shown in the form) and removed with *Remove…* or
  Delete, after a confirmation (the core keeps the row: imports name it);
* **your keys** — this workspace's own age recipient and minisign key, with their
  fingerprints, to give colleagues: the recipient copied to the clipboard, the public
  key saved to a ``.pub`` file (written by the core, ``ws.keys.write_public_key``, off
  the GUI thread).

Changes run on the writer through :meth:`ui.common.operations.Operations.run`; the
window re-reads through the read-only workspace when ``ops.contactsChanged`` fires.
It gets the session and the operations, never the main window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.common.a11y import name
from ui.common.background import Background
from ui.common.errors import message_for, show_error
from ui.common.operations import Operations
from ui.common.qtutil import buddy_label, emit, readonly_table
from ui.common.session import Session
from ui.contacts.colleaguedialog import AddColleagueDialog
from ui.contacts.contactdialogs import fingerprint_label, spoken
from workstation.errors import WorkstationError
from workstation.exchange.colleagues import Colleague
from workstation.packs.trail import key_fingerprint

IdRole = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Name", "Age fingerprint", "Minisign key id", "Minisign fingerprint",
           "Added (UTC)", "Added by")


def _button(parent: QWidget, text: str, object_name: str, slot: Callable[[], Any]) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(object_name)
    button.setAutoDefault(False)
    button.clicked.connect(lambda _checked=False: slot())
    return button


class ColleaguesWindow(QDialog):
    """The colleagues, and this workspace's keys to give them.

    Signals:
        reloaded(): both halves show what is stored now.

    Attributes:
        session, ops: the read-only workspace and the write side.
        table: the current colleagues (name, fingerprints, when and by whom added).
        chosen: the selected colleague's fingerprints, large.
        add_button, remove_button: colleague actions (Delete in the table removes too).
        recipient: this workspace's age recipient (read-only, selectable).
        recipient_fingerprint, minisign: the fingerprints of this workspace's keys.
        copy_button, save_key_button: give the keys to a colleague.
        status: what the last action did.
        dialog: the add dialog or the removal question open now, if any.
    """

    reloaded = Signal()

    def __init__(self, session: Session, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("colleaguesWindow")
        self.setWindowTitle("Colleagues")
        self.session = session
        self.ops = ops
        self.dialog: QDialog | None = None
        self._colleagues: list[Colleague] = []
        self._recipient = ""
        self._writes = Background(1, self)  # the public key file, off the GUI thread
        self.finished.connect(lambda _result: self._writes.shutdown())
        self.status = QLabel(self)
        self.status.setObjectName("colleaguesStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self._colleagues_box(), 1)
        layout.addWidget(self._keys_box())
        layout.addWidget(self.status)
        layout.addWidget(close)
        for first, second in ((self.table, self.add_button),
                              (self.add_button, self.remove_button),
                              (self.remove_button, self.recipient),
                              (self.recipient, self.copy_button),
                              (self.copy_button, self.save_key_button)):
            QWidget.setTabOrder(first, second)
        self.resize(940, 640)
        ops.contactsChanged.connect(self.reload)
        self.reload()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _colleagues_box(self) -> QGroupBox:
        box = QGroupBox("Colleagues: the analysts you give cases to and take cases from", self)
        self.table = readonly_table(COLUMNS, self, "colleaguesTable", single=True)
        name(self.table, "Colleagues", "Each colleague's name, the fingerprints of their "
                                       "keys, and when they were added")
        self.table.itemSelectionChanged.connect(self._chosen)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table,
                  self.ask_remove, context=Qt.ShortcutContext.WidgetShortcut)
        self.chosen = fingerprint_label(self, "colleagueFingerprints")
        self.add_button = _button(self, "&Add colleague…", "addColleague", self.add_colleague)
        self.remove_button = _button(self, "&Remove…", "removeColleague", self.ask_remove)
        self.remove_button.setToolTip("Stop sending cases to the selected colleague and "
                                      "taking theirs (Delete)")
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(buddy_label("C&olleagues:", self, self.table))
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Fingerprints of the selected colleague (compare them with "
                                "the colleague by phone):", self))
        layout.addWidget(self.chosen)
        layout.addLayout(row)
        return box

    def _keys_box(self) -> QGroupBox:
        box = QGroupBox("Your keys: give these to your colleagues", self)
        self.recipient = QLineEdit(self)
        self.recipient.setObjectName("ownRecipient")
        self.recipient.setReadOnly(True)
        self.recipient.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.recipient.setAccessibleDescription(
            "This workspace's age recipient: colleagues encrypt the cases they give you to it")
        self.recipient_fingerprint = fingerprint_label(self, "ownRecipientFingerprint")
        self.minisign = fingerprint_label(self, "ownMinisign")
        self.copy_button = _button(self, "Cop&y recipient", "copyRecipient",
                                   self.copy_recipient)
        self.save_key_button = _button(self, "&Save public key…", "saveMinisignKey",
                                       self.save_public_key)
        self.save_key_button.setToolTip("Save this workspace's minisign public key (.pub) "
                                        "for a colleague: they check your case bundles with it")
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.save_key_button)
        row.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(buddy_label("Your age reci&pient (cases given to you are encrypted "
                                     "to it):", self, self.recipient))
        layout.addWidget(self.recipient)
        layout.addWidget(self.recipient_fingerprint)
        layout.addWidget(QLabel("Your minisign key (your case bundles are signed with it):",
                                self))
        layout.addWidget(self.minisign)
        layout.addLayout(row)
        return box

    # ----------------------------------------------------------------- reading
    def reload(self) -> None:
        """Re-read the colleagues and this workspace's keys (the selection is kept)."""
        self._reload_keys()
        reader = self.session.reader
        chosen = self.selected_id()
        self._colleagues = reader.colleagues.all()
        table = self.table
        table.blockSignals(True)
        table.setRowCount(len(self._colleagues))
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for r, colleague in enumerate(self._colleagues):
            cells = [colleague.name, spoken(colleague.fingerprint), colleague.minisign_id,
                     spoken(colleague.minisign_fingerprint), colleague.created_at,
                     colleague.created_by]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(IdRole, colleague.id)
                if c in (1, 2, 3):
                    item.setFont(mono)
                table.setItem(r, c, item)
            if colleague.id == chosen:
                table.selectRow(r)
        if self._colleagues and not table.selectionModel().selectedRows():
            table.selectRow(0)
        table.blockSignals(False)
        self._chosen()
        emit(self.reloaded)

    def _reload_keys(self) -> None:
        keys = self.session.reader.keys
        try:
            self._recipient = keys.archive_recipient()
        except WorkstationError as exc:
            self._recipient = ""
            self.recipient.clear()
            self.recipient_fingerprint.setText(message_for(exc))
            self.minisign.clear()
        else:
            self.recipient.setText(self._recipient)
            self.recipient_fingerprint.setText(
                f"age fingerprint  {spoken(key_fingerprint(self._recipient))}")
            signing = [k for k in keys.all() if k.kind == "signing" and not k.retired_at]
            self.minisign.setText(
                f"minisign key id  {signing[0].key_id}\nfingerprint      "
                f"{spoken(signing[0].fingerprint)}" if signing else "")
        self.copy_button.setEnabled(bool(self._recipient))
        self.save_key_button.setEnabled(bool(self._recipient))

    def colleagues(self) -> list[Colleague]:
        """The colleagues shown, in table order."""
        return list(self._colleagues)

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(IdRole)
        return int(value) if value is not None else None

    def selected(self) -> Colleague | None:
        chosen = self.selected_id()
        return next((c for c in self._colleagues if c.id == chosen), None)

    def select(self, colleague_id: int) -> None:
        for r, colleague in enumerate(self._colleagues):
            if colleague.id == colleague_id:
                self.table.selectRow(r)

    def _chosen(self) -> None:
        colleague = self.selected()
        self.remove_button.setEnabled(colleague is not None)
        if colleague is None:
            self.chosen.setText("No colleague yet: add one with Add colleague… (their age "
                                "recipient and their minisign public key file)."
                                if not self._colleagues else "Choose a colleague.")
            return
        self.chosen.setText(f"{colleague.name}\nage       {spoken(colleague.fingerprint)}\n"
                            f"minisign  {spoken(colleague.minisign_fingerprint)}  "
                            f"(key id {colleague.minisign_id})")

    # ------------------------------------------------------------- colleagues
    def add_colleague(self) -> AddColleagueDialog:
        """Open the Add colleague dialog (it stays open until the core took it)."""
        dialog = AddColleagueDialog(self.ops, self)
        dialog.added.connect(self._added)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _added(self, colleague: Colleague) -> None:
        self.reload()
        self.select(colleague.id)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.status.setText(f"Added {colleague.name}. Read the fingerprints to each other "
                            "over the phone before giving them a case.")

    def ask_remove(self) -> QMessageBox | None:
        """Ask before removing the selected colleague (Remove…, or Delete in the table)."""
        colleague = self.selected()
        if colleague is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Remove a colleague",
                          f"Remove {colleague.name} from your colleagues?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setObjectName("removeColleagueBox")
        box.setInformativeText("Cases are no longer given to them, and bundles signed by "
                               "them are refused. What was imported from them is kept, "
                               "and the record of them stays in the audit trail.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._remove_answered(colleague, result))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        box.open()
        return box

    def _remove_answered(self, colleague: Colleague, result: int) -> None:
        if result != QMessageBox.StandardButton.Yes:
            return
        cid = colleague.id
        self.ops.run("Removing a colleague", lambda ws, _task: ws.colleagues.remove(cid),
                     changed=(self.ops.contactsChanged,),
                     on_done=lambda _c: self.status.setText(
                         f"Removed {colleague.name}: cases are no longer given to them."))

    # --------------------------------------------------------------- own keys
    def copy_recipient(self) -> None:
        if self._recipient:
            QGuiApplication.clipboard().setText(self._recipient)
            self.status.setText("Your age recipient is on the clipboard: give it to your "
                                "colleague, with your minisign public key file.")

    def save_public_key(self) -> None:
        """Ask where, then have the core write the minisign public key there."""
        if not self._recipient:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save your minisign public key", "workstation.pub",
            "minisign public key (*.pub);;All files (*)")
        if not path:
            return

        def written(_text: Any) -> None:
            self.status.setText(f"Your minisign public key was written to {path}: give it "
                                "to your colleague.")

        def failed(exc: BaseException) -> None:
            show_error(self, "Save public key", message_for(exc))

        # The file dialog asked before replacing a file.
        self._writes.call(lambda: self.session.read_in_background(
            lambda ws: ws.keys.write_public_key(path, overwrite=True)), written, failed)


def open_colleagues(session: Session, ops: Operations, parent: QWidget) -> ColleaguesWindow:
    """Show the Colleagues window over ``parent`` (one per parent)."""
    existing = parent.findChild(ColleaguesWindow)
    window = (existing if isinstance(existing, ColleaguesWindow)
              else ColleaguesWindow(session, ops, parent))
    window.reload()
    window.show()
    window.raise_()
    window.activateWindow()
    return window
