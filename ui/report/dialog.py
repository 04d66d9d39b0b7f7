"""Case → Report…: choose where and in which format, then the signed case report is
written on the writer thread (``ws.report.build``) with progress and Cancel; the
result (path, SHA-256, signature) is shown.  The signing key's passphrase is asked for
by the writer's passphrase bridge only when no OS keyring holds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.tasks import Task
from workstation.report.model import ReportResult
from workstation.workspace import Workspace

__all__ = ["ReportDialog", "open_report_dialog"]


class ReportDialog(QDialog):
    """Writes one case's report.

    Attributes:
        path_edit, format_box: where and which format (pdf, html).
        write_button, cancel_button, progress, status: the run.
        report_result: the :class:`ReportResult` once written, else ``None``.
    """

    def __init__(self, parent: QWidget, ops: Any, case_name: str) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle(f"Case report: {case_name}")
        self.ops = ops
        self.case_name = case_name
        self.report_result: ReportResult | None = None
        self._task: Task | None = None

        self.format_box = QComboBox(self)
        self.format_box.addItem("PDF/A (signed)", "pdf")
        self.format_box.addItem("HTML (signed)", "html")
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("reportPath")
        self.path_edit.setAccessibleName("Report file")
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case_name)
        self.path_edit.setText(str(Path.home() / f"{safe or 'case'}-report.pdf"))
        browse = QPushButton("&Browse…", self)
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow("&Format:", self.format_box)
        form.addRow("&Save as:", where)

        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.status = QLabel("The workspace is verified first; the report states the result.",
                             self)
        self.status.setObjectName("reportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.write_button = QPushButton("&Write report", self)
        self.write_button.setObjectName("writeReport")
        self.write_button.setDefault(True)
        self.write_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.write_button, self.cancel_button, close):
            buttons.addWidget(button)
        self.cancel_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        ops.tasks.progressChanged.connect(self._progress)
        ops.tasks.taskFinished.connect(self._finished)
        self.resize(620, 220)

    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def _format_changed(self) -> None:
        path = Path(self.path_edit.text())
        if path.suffix.lower() in (".pdf", ".html", ".htm", ""):
            self.path_edit.setText(str(path.with_suffix(f".{self.fmt()}")))

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the case report", self.path_edit.text(),
            "PDF (*.pdf)" if self.fmt() == "pdf" else "HTML (*.html)")
        if name:
            self.path_edit.setText(name)

    # ------------------------------------------------------------------ run
    def start(self) -> Task | None:
        """Write the report on the writer thread (progress here; Cancel stops it with
        nothing written)."""
        if self._task is not None:
            return None
        out, fmt, case = self.path_edit.text().strip(), self.fmt(), self.case_name
        if not out:
            self.status.setText("Choose where to save the report.")
            return None

        def run(ws: Workspace, task: Task) -> ReportResult:
            return ws.report.build(case, out, fmt, progress=task.report,
                                   cancel=task.cancel_token)

        self.report_result = None
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.write_button.setEnabled(False)
        self.status.setText("Verifying the workspace, then writing the report…")
        self._task = self.ops.run("Case report", run, on_done=self._done,
                                  on_error=self._failed, cancellable=True)
        return self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Stopping… nothing will be written.")

    def _progress(self, task: Task) -> None:
        if task is self._task and task.progress is not None and task.progress.total:
            self.progress.setRange(0, task.progress.total)
            self.progress.setValue(task.progress.done)
            self.progress.setFormat(f"%v / %m  {task.progress.message}")

    def _finished(self, task: Task) -> None:
        if task is not self._task:
            return
        self._task = None
        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.write_button.setEnabled(True)
        if task.state == "cancelled":
            self.status.setText("Cancelled: no report was written.")

    def _done(self, result: ReportResult | None) -> None:
        if result is None:
            return
        self.report_result = result
        warning = "" if result.verify_ok else (
            f"\nWARNING: verify found problems ({result.verify_summary}); the report "
            "states them.")
        self.status.setText(
            f"Wrote {result.path}\nSHA-256 {result.sha256}\nSigned by agency key "
            f"{result.signing_key_id}: {result.signature_path}{warning}")

    def _failed(self, message: str) -> None:
        self.status.setText(f"No report was written: {message}")


def open_report_dialog(parent: Any, case_name: str) -> None:
    """Open the report dialog for ``case_name`` (``parent``: the main window, with its
    ``ops``); kept on ``parent.report_dialog``."""
    dialog = ReportDialog(parent, parent.ops, case_name)
    parent.report_dialog = dialog
    dialog.show()
