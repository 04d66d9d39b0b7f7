"""File → Import case…: take in a case bundle a colleague gave (docs/case-exchange.md).

The analyst chooses a ``.casebundle.age`` file; the core opens and verifies it whole,
then merges it (``ws.exchange.import_case``) on the writer thread, with progress and
Cancel (a cancelled import changes nothing).  The dialog then says what happened: the
case (new, or the one already here), from whom, how many captures were added and how
many were already here, the OCR runs, verdicts, exhibit references, redactions and
trusted timestamps taken in, and every conflict -- what the bundle says that differs
from this workspace, which is kept: nothing is overwritten.  A bundle already imported
changes nothing; a refused bundle (altered, not for this workspace, not signed by a
colleague) is shown as the core's one sentence, and nothing is changed.  The archive
key's passphrase is asked for by the writer's passphrase bridge when no OS keyring holds
it.  After an import the window's lists are re-read (``on_imported``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.a11y import name
from ui.common.operations import Operations
from ui.common.qtutil import emit
from ui.common.taskprogress import TaskProgress
from ui.common.tasks import Task
from workstation.exchange.merge import MergeSummary
from workstation.workspace import Workspace

BUNDLE_FILTER = "Case bundle (*.casebundle.age *.age);;All files (*)"
#: The capture numbers listed at most in the summary (the rest are counted).
LISTED = 30


def _ids(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:LISTED])
    return shown + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED else "")


def import_headline(summary: MergeSummary) -> str:
    """One sentence: what the import did, with which case, from whom."""
    who = summary.colleague or summary.sender
    if summary.sender and summary.sender not in (who, "None"):
        who = f"{who} (sent by {summary.sender})"
    if summary.already_imported:
        number = f" (import #{summary.import_id})" if summary.import_id else ""
        return (f"This bundle of case {summary.case!r} from {who} was already imported"
                f"{number}: nothing changed.")
    state = "a new case here" if summary.case_created else "the case already here"
    return f"Imported case {summary.case!r} ({state}) from {who}."


def import_details(summary: MergeSummary) -> str:
    """The counts, the captures added, and every conflict; it says nothing was
    overwritten."""
    if summary.already_imported:
        return "Nothing was added and nothing was overwritten."
    added = (f"Captures added:        {len(summary.added)}"
             + (f" ({_ids(summary.added)})" if summary.added else ""))
    present = (f"Already here:          {len(summary.present)}"
               + (f" ({_ids(summary.present)})" if summary.present else ""))
    lines = [added, present,
             f"OCR runs:              {summary.ocr_runs}",
             f"Verdicts:              {summary.verdicts}",
             f"Exhibit references:    {summary.exhibits}",
             f"Redactions:            {summary.redactions}",
             f"Trusted timestamps:    {summary.timestamps}", ""]
    if summary.conflicts:
        lines.append(f"{len(summary.conflicts)} conflict(s): the bundle differs from this "
                     "workspace, which was kept. Nothing was overwritten.")
        lines += [f"  • {conflict.message}" for conflict in summary.conflicts]
    else:
        lines.append("No conflicts. Nothing was overwritten.")
    return "\n".join(lines)


def refusal_text(message: str) -> str:
    """A failed import's sentence, saying that nothing was changed (once)."""
    text = message.strip()
    return text if "nothing was changed" in text.lower() else f"{text} Nothing was changed."


class ImportCaseDialog(QDialog):
    """Imports one case bundle, then says what it did.

    Signals:
        imported(object): the ``MergeSummary`` of an import that changed the workspace.

    Attributes:
        path: the bundle.
        headline: one sentence (running, imported, already imported, refused, cancelled).
        progress: the run (its Cancel button stops it; nothing is changed then).
        details: the counts, the captures added, and the conflicts.
        outcome: ``running``, ``imported``, ``already``, ``refused`` or ``cancelled``.
        summary: the ``MergeSummary`` once imported; error: the refusal's sentence.
    """

    imported = Signal(object)

    def __init__(self, ops: Operations, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importCaseDialog")
        self.setWindowTitle(f"Import a case: {Path(path).name}")
        self.ops = ops
        self.path = path
        self.outcome = ""
        self.summary: MergeSummary | None = None
        self.error: str | None = None
        self._task: Task | None = None
        self.headline = QLabel(self)
        self.headline.setObjectName("importHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = TaskProgress(ops.tasks, self)
        self.progress.finished.connect(self._finished)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("importDetails")
        self.details.setReadOnly(True)
        self.details.setTabChangesFocus(True)
        self.details.setVisible(False)
        name(self.details, "Import summary")
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("closeImport")
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.progress)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        self.resize(720, 460)

    def start(self) -> Task:
        """Verify and merge the bundle on the writer."""
        path = self.path

        def run(ws: Workspace, task: Task) -> MergeSummary:
            return ws.exchange.import_case(path, cancel=task.cancel_token,
                                           progress=task.report)

        self.outcome = "running"
        self.headline.setText(f"Checking {Path(path).name}, then taking the case in… "
                              "Nothing is changed until every check has passed.")
        self._task = self.ops.run("Case import", run, on_done=self._done,
                                  on_error=self._failed, cancellable=True,
                                  changed=(self.ops.casesChanged,))
        self.progress.follow(self._task)
        self.progress.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
        return self._task

    @property
    def running(self) -> bool:
        return self._task is not None

    def _done(self, summary: MergeSummary | None) -> None:
        if summary is None:
            return
        self.summary = summary
        self.outcome = "already" if summary.already_imported else "imported"
        self.headline.setText(import_headline(summary))
        self._show_details(import_details(summary))
        if not summary.already_imported:
            emit(self.ops.capturesChanged, [*summary.added, *summary.present])
            emit(self.imported, summary)

    def _failed(self, message: str) -> None:
        self.outcome = "refused"
        self.error = refusal_text(message)
        self.setWindowTitle("Case not imported")
        self.headline.setText(self.error)

    def _finished(self, task: Task) -> None:
        if task is not self._task:
            return
        self._task = None
        if task.state == "cancelled" and task.result is None:
            self.outcome = "cancelled"
            self.headline.setText("Cancelled: the case was not imported, and nothing was "
                                  "changed.")
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_details(self, text: str) -> None:
        self.details.setPlainText(text)
        self.details.setVisible(True)


def ask_import_case(ops: Operations, parent: QWidget,
                    on_imported: Callable[[MergeSummary], Any] | None = None,
                    folder: str = "") -> ImportCaseDialog | None:
    """File → Import case…: choose a bundle, then import it in the dialog (one at a
    time: while one runs, its dialog is shown again instead)."""
    existing = parent.findChild(ImportCaseDialog)
    if isinstance(existing, ImportCaseDialog) and existing.running:
        existing.show()
        existing.raise_()
        return existing
    path, _filter = QFileDialog.getOpenFileName(parent, "Import a case bundle", folder,
                                                BUNDLE_FILTER)
    if not path:
        return None
    if isinstance(existing, ImportCaseDialog):  # the last one, finished
        existing.setParent(None)
        existing.deleteLater()
    dialog = ImportCaseDialog(ops, path, parent)
    if on_imported is not None:
        dialog.imported.connect(on_imported)
    dialog.show()
    dialog.start()
    return dialog
