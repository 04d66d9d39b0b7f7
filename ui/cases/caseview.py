"""The case view: every case (name, status, number of captures) and, for the chosen
one, its captures with their exhibit references, the packs that hold them with the
platforms' outcomes, and its timeline from the audit trail.

Reads use the read-only workspace and refresh whenever cases, captures or packs
change; creating, renaming, closing and reopening run on the writer thread through
:class:`~ui.common.operations.Operations`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.common.errors import message_for, show_error
from ui.common.operations import Operations
from ui.common.qtutil import emit, readonly_cell, readonly_table
from ui.common.session import Session
from ui.common.tasks import Task
from workstation.errors import WorkstationError
from workstation.platforms import platform_label
from workstation.workspace import Workspace

CASE_COLUMNS = ("Case", "Status", "Captures")
CAPTURE_COLUMNS = ("Capture", "Exhibit", "Captured (UTC)", "Platform", "Handle", "URL")
PACK_COLUMNS = ("Pack", "State", "Platform", "Sealed (UTC)", "Sent (UTC)", "Capture",
                "Exhibit", "Outcome", "When (UTC)", "Comment")
TIMELINE_COLUMNS = ("When (UTC)", "Analyst", "Event")
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _when(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


class CaseViewWindow(QMainWindow):
    """Cases and the chosen case's captures, packs, outcomes and timeline.

    Signals:
        captureOpened(int): the analyst asked to open one of the case's captures.

    Attributes:
        cases: the table of cases; captures, packs, timeline: the chosen case's.
        status: the last thing that happened, in a sentence.
    """

    captureOpened = Signal(int)

    def __init__(self, session: Session, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseViewWindow")
        self.setWindowTitle("Cases")
        self.setAccessibleName("Case view")
        self.resize(1100, 700)
        self.reader: Workspace = session.reader
        self.ops = ops
        self._names: list[str] = []

        self.cases = readonly_table(CASE_COLUMNS, self, "caseList", single=True)
        self.cases.setAccessibleName("Cases")
        self.captures = readonly_table(CAPTURE_COLUMNS, self, "caseCaptures")
        self.captures.setAccessibleName("Captures of the case")
        self.captures.doubleClicked.connect(lambda: self._open_from(self.captures))
        self.packs = readonly_table(PACK_COLUMNS, self, "casePacks")
        self.packs.setAccessibleName("Packs and outcomes of the case")
        self.packs.doubleClicked.connect(lambda: self._open_from(self.packs))
        self.timeline = readonly_table(TIMELINE_COLUMNS, self, "caseTimeline")
        self.timeline.setAccessibleName("Timeline of the case")
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("caseTabs")
        self.tabs.setAccessibleName("Case details")
        self.tabs.addTab(self.captures, "&Captures")
        self.tabs.addTab(self.packs, "&Packs and outcomes")
        self.tabs.addTab(self.timeline, "&Timeline")

        self.new_button = self._button("&New case…", "caseNew", self.ask_new)
        self.rename_button = self._button("&Rename…", "caseRename", self.ask_rename)
        self.close_button = self._button("C&lose", "caseCloseReopen", self.toggle_status)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.close_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = QLabel(self)
        self.status.setObjectName("caseStatus")
        self.status.setAccessibleName("Case view status")
        self.status.setWordWrap(True)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.cases)
        split.addWidget(self.tabs)
        split.setSizes([300, 800])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(central)

        self.cases.itemSelectionChanged.connect(self._show_case)
        ops.casesChanged.connect(self.reload)
        ops.packsChanged.connect(self.reload)
        ops.capturesChanged.connect(self._captures_changed)
        self.reload()

    def _button(self, text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(slot)
        return button

    # ----------------------------------------------------------------- reading
    def reload(self) -> None:
        keep = self.current_case()
        cases = self.reader.cases.all()
        self._names = [c.name for c in cases]
        self.cases.blockSignals(True)
        self.cases.setRowCount(len(cases))
        for row, case in enumerate(cases):
            for column, value in enumerate((case.name, case.status, case.capture_count)):
                self.cases.setItem(row, column, readonly_cell(value))
        self.cases.blockSignals(False)
        if (keep is None or not self.select(keep)) and cases:
            self.cases.selectRow(0)
        self._show_case()

    def current_case(self) -> str | None:
        """The name of the chosen case, if any."""
        rows = {i.row() for i in self.cases.selectedIndexes()}
        if not rows or min(rows) >= len(self._names):
            return None
        return self._names[min(rows)]

    def select(self, name: str) -> bool:
        """Choose case ``name``; ``False`` when there is none of that name."""
        if name not in self._names:
            return False
        self.cases.selectRow(self._names.index(name))
        return True

    def _show_case(self) -> None:
        name = self.current_case()
        try:
            view = self.reader.cases.view(name) if name is not None else None
            events = self.reader.cases.timeline(name) if name is not None else []
        except WorkstationError as exc:
            self.status.setText(message_for(exc))
            view, events = None, []
        captures = view.captures if view is not None else []
        self.captures.setRowCount(len(captures))
        for row, c in enumerate(captures):
            values: tuple[str, ...] = (
                f"#{c.id}", c.exhibit or "", _when(c.captured_at), platform_label(c.platform),
                      f"@{c.handle}" if c.handle else "", c.url or "")
            for column, value in enumerate(values):
                cell = readonly_cell(value)
                cell.setData(ID_ROLE, c.id)
                self.captures.setItem(row, column, cell)
        rows = [(p, i) for p in (view.packs if view is not None else []) for i in p.items]
        self.packs.setRowCount(len(rows))
        for row, (p, item) in enumerate(rows):
            values = (p.ref, p.state, platform_label(p.platform), _when(p.sealed_at),
                      _when(p.sent_at), f"#{item.capture_id}", item.exhibit or "",
                      item.outcome.replace("_", " "),
                      _when(item.outcome_at), item.comment or "")
            for column, value in enumerate(values):
                cell = readonly_cell(value)
                cell.setData(ID_ROLE, item.capture_id)
                self.packs.setItem(row, column, cell)
        self.timeline.setRowCount(len(events))
        for row, e in enumerate(events):
            for column, value in enumerate((_when(e.at), e.analyst, e.summary)):
                self.timeline.setItem(row, column, readonly_cell(value))
        closed = view is not None and view.case.status == "closed"
        self.close_button.setText("Re&open" if closed else "C&lose")
        self.close_button.setAccessibleName("Reopen" if closed else "Close")
        self.rename_button.setEnabled(view is not None)
        self.close_button.setEnabled(view is not None)

    def _captures_changed(self, _ids: list[int]) -> None:
        self.reload()

    def _open_from(self, table: QTableWidget) -> None:
        rows = {i.row() for i in table.selectedIndexes()}
        if rows:
            cell = table.item(min(rows), 0)
            if cell is not None:
                emit(self.captureOpened, int(cell.data(ID_ROLE)))

    # ----------------------------------------------------------------- writing
    def _run(self, title: str, fn: Callable[[Workspace, Task], Any],
             describe: Callable[[Any], str], select: str | None = None) -> Task:
        self.status.setText(f"{title}…")

        def done(result: Any) -> None:
            self.reload()
            if select is not None:
                self.select(select)
            self.status.setText(describe(result))

        def failed(message: str) -> None:
            self.status.setText(f"{title}: {message}")
            show_error(self, title, message)

        return self.ops.run(title, fn, on_done=done, on_error=failed,
                            changed=(self.ops.casesChanged,))

    def _ask(self, name: str, title: str, label: str, text: str,
             then: Callable[[str], Any]) -> QInputDialog:
        """A non-blocking text dialog (``name``) that calls ``then`` with the text."""
        dialog = QInputDialog(self)
        dialog.setObjectName(name)
        dialog.setAccessibleName(title)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.textValueSelected.connect(lambda value: then(value) if value.strip() else None)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def ask_new(self) -> QInputDialog:
        return self._ask("newCaseDialog", "New case", "Name of the new case:", "",
                         self.create_case)

    def ask_rename(self) -> QInputDialog | None:
        name = self.current_case()
        if name is None:
            self.status.setText("Choose a case to rename first.")
            return None
        return self._ask("renameCaseDialog", "Rename case", f"New name for {name!r}:", name,
                         lambda new: self.rename_case(name, new))

    def create_case(self, name: str) -> Task:
        clean = " ".join(name.split())
        return self._run("New case", lambda ws, _t: ws.cases.create(clean),
                         lambda case: f"Created case {case.name!r}.", select=clean)

    def rename_case(self, old: str, new: str) -> Task:
        clean = " ".join(new.split())
        return self._run("Rename case", lambda ws, _t: ws.cases.rename(old, clean),
                         lambda case: f"Case {old!r} is now named {case.name!r}.",
                         select=clean)

    def toggle_status(self) -> Task | None:
        name = self.current_case()
        if name is None:
            return None
        closed = self.reader.cases.get(name).status == "closed"
        return self.set_status(name, "open" if closed else "closed")

    def set_status(self, name: str, status: str) -> Task:
        return self._run("Close case" if status == "closed" else "Reopen case",
                         lambda ws, _t: ws.cases.set_status(name, status),
                         lambda case: f"Case {case.name!r} is now {case.status}.", select=name)


def open_case_view(session: Session, ops: Operations, parent: QWidget,
                   name: str | None = None) -> CaseViewWindow:
    """Show the case view over ``parent`` (one per parent), on case ``name`` if given."""
    existing = parent.findChild(CaseViewWindow)
    view = existing if isinstance(existing, CaseViewWindow) else CaseViewWindow(
        session, ops, parent)
    view.reload()
    if name is not None:
        view.select(name)
    view.show()
    view.raise_()
    view.activateWindow()
    return view
