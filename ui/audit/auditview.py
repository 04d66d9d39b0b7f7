"""The audit trail with filters, and the result of Workspace → Verify."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.common.errors import message_for
from ui.common.qtutil import buddy_label, emit
from ui.viewer.viewerpanels import describe
from workstation.errors import WorkstationError
from workstation.models import AuditEntry, VerifyReport
from workstation.workspace import Workspace

Index = QModelIndex | QPersistentModelIndex


class AuditModel(QAbstractTableModel):
    """Audit entries as rows."""

    HEADERS = ("#", "When (UTC)", "Analyst", "Action", "Subject", "Details")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[AuditEntry] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.ToolTipRole):
            return None
        entry = self.entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{describe(entry)}\n\nhash {entry.hash}\nprevious {entry.prev_hash}"
        return (str(entry.seq), entry.at[:19].replace("T", " "), entry.analyst, entry.action,
                entry.subject, describe(entry))[column]

    def set_entries(self, entries: list[AuditEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()


class AuditWindow(QDialog):
    """The audit trail, filtered by capture, case, action and text.

    Attributes:
        capture, case, action, text: the filter fields.
        model: the ``AuditModel`` of the entries shown.
    """

    def __init__(self, reader: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditWindow")
        self.setWindowTitle("Audit trail")
        self.resize(1000, 600)
        self._reader = reader
        self.capture = QLineEdit(self)
        self.capture.setPlaceholderText("capture #")
        self.capture.setMaximumWidth(90)
        self.case = QComboBox(self)
        self.action = QComboBox(self)
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("contains…")
        self.message = QLabel(self)
        self.model = AuditModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Audit trail")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((60, 150, 110, 120, 110)):
            self.table.setColumnWidth(column, width)
        row = QHBoxLayout()
        for label, widget in (("&Capture", self.capture), ("C&ase", self.case),
                              ("A&ction", self.action), ("&Text", self.text)):
            row.addWidget(buddy_label(label, self, widget))
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.capture.returnPressed.connect(self.reload)
        self.text.textChanged.connect(self.reload)
        self.case.currentIndexChanged.connect(self.reload)
        self.action.currentIndexChanged.connect(self.reload)
        self._fill_choices()
        self.reload()

    def _fill_choices(self) -> None:
        self.case.blockSignals(True)
        self.case.clear()
        self.case.addItem("(all cases)", "")
        for case in self._reader.cases.all():
            self.case.addItem(case.name, case.name)
        self.case.blockSignals(False)
        self.action.blockSignals(True)
        self.action.clear()
        self.action.addItem("(all actions)", "")
        for action in self._reader.audit_actions():
            self.action.addItem(action, action)
        self.action.blockSignals(False)

    def set_capture(self, capture_id: int | None) -> None:
        self.capture.setText("" if capture_id is None else str(capture_id))
        self.reload()

    def reload(self) -> None:
        raw = self.capture.text().strip().lstrip("#")
        try:
            capture_id = int(raw) if raw else None
            entries = self._reader.audit_entries(capture_id=capture_id,
                                                 case=self.case.currentData() or None)
        except ValueError:
            self.message.setText(f"“{raw}” is not a capture number.")
            return
        except WorkstationError as exc:
            self.message.setText(message_for(exc))
            return
        action = self.action.currentData()
        needle = self.text.text().strip().lower()
        if action:
            entries = [e for e in entries if e.action == action]
        if needle:
            entries = [e for e in entries
                       if needle in f"{e.analyst} {e.subject} {describe(e)}".lower()]
        self.model.set_entries(entries)
        self.message.setText(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


class VerifyDialog(QDialog):
    """The result of ``Workspace.verify()``: a summary and every problem.

    Signals:
        captureOpened(int): the analyst activated a problem about a capture.
    """

    captureOpened = Signal(int)

    def __init__(self, report: VerifyReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verifyDialog")
        self.setWindowTitle("Verify workspace")
        self.resize(700, 400)
        self.summary = QLabel(report.summary(), self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        details = QLabel(f"{report.captures_checked} evidence file(s) re-hashed, "
                         f"{report.entries_checked} audit entries checked, "
                         f"{report.unreferenced_files} unreferenced file(s).", self)
        self.problems = QListWidget(self)
        for problem in report.problems:
            item = QListWidgetItem(f"[{problem.kind}] {problem.message}")
            item.setData(Qt.ItemDataRole.UserRole, problem.capture_id)
            self.problems.addItem(item)
        self.problems.setVisible(bool(report.problems))
        self.problems.itemActivated.connect(self._activated)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(details)
        layout.addWidget(self.problems, 1)
        layout.addWidget(buttons)

    def _activated(self, item: QListWidgetItem) -> None:
        value = item.data(Qt.ItemDataRole.UserRole)
        if value is not None:
            emit(self.captureOpened, int(value))
