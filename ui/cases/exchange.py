"""Case → Export…: give a case to colleagues as a signed, encrypted case bundle
(docs/case-exchange.md).

The dialog asks which case (the one the window shows, else a choice), which colleagues
(ticked in a list with their fingerprints) and where to save it (default
``<case>.casebundle.age``, from the core's ``default_name``); the bundle is then written
on the writer thread (``ws.exchange.export_case``) with progress and Cancel, and the
result shown: the file, its size and SHA-256, and every recipient with its fingerprint.
The signing key's passphrase is asked for by the writer's passphrase bridge when no OS
keyring holds it.  With no colleague yet, the analyst is told so and offered
Workspace → Colleagues….
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.a11y import name
from ui.common.operations import Operations
from ui.common.qtutil import buddy_label, emit
from ui.common.session import Session
from ui.common.taskprogress import TaskProgress
from ui.common.tasks import Task
from ui.contacts.contactdialogs import fingerprint_font, spoken
from workstation.exchange.service import ExportResult, default_name
from workstation.workspace import Workspace

IdRole = Qt.ItemDataRole.UserRole + 1


def byte_size(size: int) -> str:
    """``size`` bytes in words a person reads (``12.3 MB (12,345,678 bytes)``)."""
    value, unit = float(size), "bytes"
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            break
        value /= 1000
    short = f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
    return short if unit == "bytes" else f"{short} ({size:,} bytes)"


def export_summary(result: ExportResult) -> str:
    """What an export wrote, for the dialog (and to copy into a note)."""
    lines = [f"Case:      {result.case} ({result.captures} capture(s))",
             f"File:      {result.path}",
             f"Size:      {byte_size(result.size)}",
             f"SHA-256:   {result.sha256}",
             "Encrypted to:"]
    for recipient in result.recipients:
        who = (f"{recipient['name']} (this workspace's archive key, so you can open it too)"
               if recipient.get("role") == "archive" else recipient["name"])
        lines.append(f"  {who}\n    {spoken(recipient['fingerprint'])}")
    return "\n".join(lines)


class ExportCaseDialog(QDialog):
    """Writes one case's bundle for the colleagues ticked.

    Signals:
        exported(object): the ``ExportResult`` of a written bundle.

    Attributes:
        case_box: the case to give; colleague_list: the colleagues, ticked to send to.
        path_edit, browse_button: where the bundle is saved.
        export_button: starts; progress: the run (its Cancel button stops it).
        status: what happened; summary: the written bundle's file, size, SHA-256 and
            recipients.
        written: the ``ExportResult`` once written.
    """

    exported = Signal(object)

    def __init__(self, session: Session, ops: Operations, case: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportCaseDialog")
        self.setWindowTitle("Export a case to colleagues")
        self.session = session
        self.ops = ops
        self.written: ExportResult | None = None
        self._task: Task | None = None
        self._folder = Path.home()
        self.case_box = QComboBox(self)
        self.case_box.setObjectName("exportCase")
        self.colleague_list = QListWidget(self)
        self.colleague_list.setObjectName("exportColleagues")
        name(self.colleague_list, "Colleagues to give the case to",
             "Tick each colleague (Space); the case is encrypted to their age keys")
        self.colleague_list.setFont(fingerprint_font(1.0))
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("exportPath")
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(lambda _checked=False: self.browse())
        self.progress = TaskProgress(ops.tasks, self, "Cance&l")
        self.progress.finished.connect(self._finished)
        self.status = QLabel("Only the colleagues ticked (and this workspace) can open the "
                             "bundle; it is signed with this workspace's key.", self)
        self.status.setObjectName("exportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QPlainTextEdit(self)
        self.summary.setObjectName("exportSummary")
        self.summary.setReadOnly(True)
        self.summary.setTabChangesFocus(True)
        self.summary.setFont(fingerprint_font(1.0))
        self.summary.setVisible(False)
        name(self.summary, "Export summary")
        self.export_button = QPushButton("&Export", self)
        self.export_button.setObjectName("exportCaseButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(lambda _checked=False: self.start())
        self._lay_out()
        self._fill(case)
        self.case_box.currentIndexChanged.connect(self._case_changed)
        self.resize(680, 520)
        self.case_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def _lay_out(self) -> None:
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(buddy_label("&Case:", self, self.case_box), self.case_box)
        form.addRow(buddy_label("&To:", self, self.colleague_list), self.colleague_list)
        form.addRow(buddy_label("Save &as:", self, self.path_edit), where)
        close = QPushButton("Close", self)
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary, 1)
        layout.addLayout(buttons)

    def _fill(self, case: str | None) -> None:
        reader = self.session.reader
        for c in reader.cases.all():
            label = c.name if c.status == "open" else f"{c.name} ({c.status})"
            self.case_box.addItem(label, c.name)
        index = self.case_box.findData(case) if case is not None else -1
        self.case_box.setCurrentIndex(max(index, 0))
        for colleague in reader.colleagues.all():
            item = QListWidgetItem(f"{colleague.name}\n  age {spoken(colleague.fingerprint)}"
                                   f"  minisign {colleague.minisign_id}",
                                   self.colleague_list)
            item.setData(IdRole, colleague.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        if self.colleague_list.count() == 1:
            self.colleague_list.item(0).setCheckState(Qt.CheckState.Checked)
        if self.colleague_list.count():
            self.colleague_list.setCurrentRow(0)
        self.path_edit.setText(str(self._folder / default_name(self.case() or "case")))

    # --------------------------------------------------------------- choices
    def case(self) -> str | None:
        data = self.case_box.currentData()
        return str(data) if data is not None else None

    def chosen_ids(self) -> list[int]:
        """The colleagues ticked, in list order."""
        items = (self.colleague_list.item(i) for i in range(self.colleague_list.count()))
        return [int(i.data(IdRole)) for i in items
                if i is not None and i.checkState() == Qt.CheckState.Checked]

    def set_chosen(self, ids: list[int]) -> None:
        """Tick exactly the colleagues ``ids``."""
        for i in range(self.colleague_list.count()):
            item = self.colleague_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if int(item.data(IdRole)) in ids
                               else Qt.CheckState.Unchecked)

    def _case_changed(self) -> None:
        """Another case: the same folder, that case's file name."""
        text = self.path_edit.text().strip()
        folder = Path(text).parent if text else self._folder
        self.path_edit.setText(str(folder / default_name(self.case() or "case")))

    def browse(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save the case bundle", self.path_edit.text(),
            "Case bundle (*.casebundle.age);;All files (*)")
        if path:
            self.path_edit.setText(path)

    # ------------------------------------------------------------------- run
    def start(self) -> Task | None:
        """Write the bundle on the writer (progress here; Cancel leaves no file)."""
        if self._task is not None:
            return None
        case, ids, out = self.case(), self.chosen_ids(), self.path_edit.text().strip()
        problem = ("There is no case to export." if case is None else
                   "Tick at least one colleague to give the case to." if not ids else
                   "Choose where to save the bundle." if not out else "")
        if problem:
            self.status.setText(problem)
            return None
        assert case is not None

        def run(ws: Workspace, task: Task) -> ExportResult:
            return ws.exchange.export_case(case, out, ids, cancel=task.cancel_token,
                                           progress=task.report)

        self.written = None
        self.summary.setVisible(False)
        self.export_button.setEnabled(False)
        self.status.setText(f"Writing the bundle of {case!r}…")
        self._task = self.ops.run("Case export", run, on_done=self._done,
                                  on_error=self._failed, cancellable=True)
        self.progress.follow(self._task)
        return self._task

    def _done(self, result: ExportResult | None) -> None:
        if result is None:
            return
        self.written = result
        self.status.setText("The case bundle was written. Give the file to your colleagues "
                            "by any means: only they can open it.")
        self.summary.setPlainText(export_summary(result))
        self.summary.setVisible(True)
        emit(self.exported, result)

    def _failed(self, message: str) -> None:
        self.status.setText(f"No bundle was written: {message}")

    def _finished(self, task: Task) -> None:
        if task is not self._task:
            return
        self._task = None
        self.export_button.setEnabled(True)
        if task.state == "cancelled" and task.result is None:
            self.status.setText("Cancelled: no bundle was written.")


def offer_colleagues(parent: QWidget, open_colleagues: Callable[[], Any]) -> QMessageBox:
    """Say there is no colleague to give a case to, and offer Workspace → Colleagues…."""
    box = QMessageBox(QMessageBox.Icon.Information, "Export a case",
                      "You have no colleagues yet to give a case to.",
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("noColleaguesBox")
    box.setInformativeText("Add a colleague first: their age recipient and their minisign "
                           "public key file (Workspace → Colleagues…).")
    go = box.addButton("Open &Colleagues…", QMessageBox.ButtonRole.AcceptRole)
    go.setObjectName("openColleagues")
    later = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go)
    box.setEscapeButton(later)
    box.buttonClicked.connect(lambda button: open_colleagues() if button is go else None)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def open_export_case(session: Session, ops: Operations, parent: QWidget, case: str | None,
                     open_colleagues: Callable[[], Any]) -> ExportCaseDialog | QMessageBox:
    """Case → Export…: the export dialog on ``case`` (else the first case), or, with no
    colleague or no case yet, a box that says so."""
    if not session.reader.colleagues.all():
        return offer_colleagues(parent, open_colleagues)
    if not session.reader.cases.all():
        box = QMessageBox(QMessageBox.Icon.Information, "Export a case",
                          "There is no case to export yet: create one (Case → New case…).",
                          QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("noCaseBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
    existing = parent.findChild(ExportCaseDialog)
    if isinstance(existing, ExportCaseDialog) and (existing.isVisible()
                                                   or existing.progress.running):
        dialog = existing  # open, or a bundle is being written: show it again
    else:
        if isinstance(existing, ExportCaseDialog):  # closed: its lists may be stale
            existing.setParent(None)
            existing.deleteLater()
        dialog = ExportCaseDialog(session, ops, case, parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
