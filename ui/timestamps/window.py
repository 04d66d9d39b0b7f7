"""Trusted timestamps (Workspace → Timestamps…, and Send timestamps…, Ctrl+Shift+T).

:func:`send_timestamps` queues a request over the audit trail's head and sends every
queued request to the configured time-stamping authorities, on the writer through
:meth:`ui.common.operations.Operations.run` (progress and Cancel in the task bar); the
result is shown in a box that does not block.  :class:`TimestampsWindow` lists the
timestamps (state, the TSA's time, the TSA, the verifier that accepted the token, the
last error of one still queued) and verifies the selected token offline, off the GUI
thread (``openssl`` may run).  Reads go through the session's read-only workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.background import Background
from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.qtutil import readonly_cell, readonly_table
from ui.common.session import Session
from ui.common.tasks import Task
from workstation.errors import RejectedInput
from workstation.timestamps.models import SendSummary, TimestampRecord, VerifyResult
from workstation.workspace import Workspace

COLUMNS = ("ID", "Kind", "Subject", "State", "Trusted time (UTC)", "TSA", "Verified by",
           "Last error")


def trusted_text(record: TimestampRecord | None) -> str:
    """``<gen_time> by <TSA>`` of the token covering a capture, or that there is none."""
    if record is None or not record.stamped:
        return "not yet timestamped"
    return f"{record.gen_time} by {record.tsa_url} (token #{record.id})"


def pack_trusted_text(records: list[TimestampRecord]) -> str:
    """A pack's token over its SHA256SUMS: its time and TSA, "queued", or nothing."""
    stamped = [r for r in records if r.stamped]
    if stamped:
        return trusted_text(stamped[0])
    return "queued" if records else ""


def _queue_and_send(ws: Workspace, task: Task) -> SendSummary:
    ws.timestamps.queue_audit_head()
    return ws.timestamps.send(progress=task.report, cancel=task.cancel_token)


def send_timestamps(ops: Operations, parent: QWidget,
                    on_done: Callable[[SendSummary], None] | None = None) -> Task:
    """Queue the audit head and send everything queued (cancellable); then show what
    happened in a box (``objectName`` ``timestampsResult``)."""

    def done(summary: Any) -> None:
        if isinstance(summary, SendSummary):
            box = QMessageBox(QMessageBox.Icon.Information if not summary.failed
                              else QMessageBox.Icon.Warning, "Trusted timestamps",
                              summary.line, QMessageBox.StandardButton.Ok, parent)
            box.setObjectName("timestampsResult")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            if on_done is not None:
                on_done(summary)

    return ops.run("Sending timestamps", _queue_and_send, on_done=done, cancellable=True)


class TimestampsWindow(QWidget):
    """The timestamps of the workspace, with Send and Verify.

    Signals:
        verified(object): the ``VerifyResult`` of the last Verify.
    """

    verified = Signal(object)

    def __init__(self, session: Session, ops: Operations, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("timestampsWindow")
        self.setWindowTitle("Trusted timestamps")
        self.session, self.ops = session, ops
        self._reads = Background(1, self)
        self._records: list[TimestampRecord] = []
        self.table = readonly_table(COLUMNS, self, "timestampsTable", single=True)
        self.table.setAccessibleName("Timestamps")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.status = QLabel("", self)
        self.status.setObjectName("timestampsStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.send_button = QPushButton("&Send now", self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Queue the audit trail's head and send every queued "
                                    "request to the configured TSAs")
        self.send_button.clicked.connect(self.send)
        self.verify_button = QPushButton("&Verify", self)
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.setToolTip("Check the selected token offline against its TSA's CA")
        self.verify_button.clicked.connect(self.verify_selected)
        self.add_button = QPushButton("Add &TSA…", self)
        self.add_button.setObjectName("addTsaButton")
        self.add_button.setToolTip("Add a time-stamping authority: its URL and the CA "
                                   "certificate (PEM file) its tokens are checked against")
        self.add_button.clicked.connect(self.ask_add_tsa)
        self.authorities = QLabel("", self)
        self.authorities.setObjectName("tsaList")
        self.authorities.setWordWrap(True)
        self.authorities.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for button in (self.send_button, self.verify_button, self.add_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.authorities)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(900, 360)
        self._sending: Task | None = None
        session.tasks.taskFinished.connect(self._task_finished)
        self._selection_changed()

    def reload(self) -> None:
        """Re-read the timestamps (the read-only workspace sees every commit)."""
        self._records = self.session.reader.timestamps.all()
        urls = [a.url for a in self.session.reader.timestamps.authorities()]
        self.authorities.setText("Time-stamping authorities: " + ", ".join(urls) if urls else
                                 "No time-stamping authority (TSA) yet: Add TSA… adds one.")
        self.table.setRowCount(len(self._records))
        for row, r in enumerate(self._records):
            for col, value in enumerate((r.id, r.kind, r.subject, r.state, r.gen_time or "",
                                         r.tsa_url or "", r.verifier or "",
                                         r.last_error or "")):
                self.table.setItem(row, col, readonly_cell(value))
        if not self._records:
            self.status.setText("No timestamps yet: Send now queues one over the audit "
                                "trail's head (add a TSA first with Add TSA…).")
        self._selection_changed()

    def selected(self) -> TimestampRecord | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self._records[min(rows)] if rows else None

    def _selection_changed(self) -> None:
        record = self.selected()
        self.verify_button.setEnabled(record is not None and record.stamped)

    def ask_add_tsa(self) -> Task | None:
        """Ask for the TSA's URL, then its CA certificate file, and add it."""
        url, ok = QInputDialog.getText(self, "Add a time-stamping authority",
                                       "The TSA's URL (https://…):")
        if not ok or not url.strip():
            return None
        ca, _filter = QFileDialog.getOpenFileName(
            self, "The TSA's CA certificate", "", "PEM certificates (*.pem *.crt);;All files (*)")
        return self.add_tsa(url.strip(), ca) if ca else None

    def add_tsa(self, url: str, ca_file: str) -> Task:
        """Add the TSA at ``url`` whose tokens are checked against the CA in ``ca_file``
        (read and checked by the core on the writer; audited); the list re-reads after."""

        def add(ws: Workspace, _task: Task) -> object:
            try:
                pem = Path(ca_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise RejectedInput(f"Cannot read the CA certificate {ca_file}: "
                                    f"{getattr(exc, 'strerror', None) or exc}.") from None
            return ws.timestamps.add_authority(url, pem)

        return self.ops.run("Adding a TSA", add, on_done=lambda _a: self.reload())

    def send(self) -> Task:
        """Queue the audit head and send everything queued; the list re-reads after."""
        self.send_button.setEnabled(False)
        task = send_timestamps(self.ops, self)
        self._sending = task
        return task

    def _task_finished(self, task: object) -> None:
        if task is getattr(self, "_sending", None):
            self._sending = None
            self.send_button.setEnabled(True)
            self.reload()

    def verify_selected(self) -> None:
        """Verify the selected token off the GUI thread; the result lands in the status."""
        record = self.selected()
        if record is None:
            return
        self.verify_button.setEnabled(False)
        self.status.setText(f"Verifying timestamp #{record.id}…")
        tid = record.id

        def check(ws: Workspace) -> VerifyResult:
            return ws.timestamps.verify(ws.timestamps.get(tid))

        self._reads.call(lambda: self.session.read_in_background(check), self._verified,
                         lambda exc: self._verified(VerifyResult(tid, False, None, None,
                                                                 message_for(exc))))

    def _verified(self, result: VerifyResult) -> None:
        self._selection_changed()
        if result.ok:
            self.status.setText(f"Timestamp #{result.timestamp_id} verifies: {result.gen_time} "
                                f"(checked with {result.verifier}).")
        else:
            self.status.setText(f"Timestamp #{result.timestamp_id} does NOT verify: "
                                f"{result.error}")
        self.verified.emit(result)

    def closeEvent(self, event: Any) -> None:
        self._reads.shutdown()
        super().closeEvent(event)


def open_timestamps(session: Session, ops: Operations, parent: QWidget) -> TimestampsWindow:
    """Show the timestamps window over ``parent`` (one per parent)."""
    existing = parent.findChild(TimestampsWindow)
    window = (existing if isinstance(existing, TimestampsWindow)
              else TimestampsWindow(session, ops, parent))
    window.reload()
    window.show()
    window.raise_()
    return window
