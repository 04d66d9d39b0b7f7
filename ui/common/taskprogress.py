"""A progress bar and a Cancel button that follow one writer task, for the dialogs that
run a long piece of work and report on it themselves (Case → Export…, File → Import
case…).

The writer reports progress in whatever unit the core counts (items, or bytes of a
multi-gigabyte bundle), so the bar shows per-mille of the total: a ``QProgressBar``
holds 32-bit values only.  The end of the task is reported by ``finished`` after its
``on_done``/``on_error`` callbacks ran (see :class:`ui.common.tasks.TaskManager`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ui.common.a11y import name
from ui.common.qtutil import emit
from ui.common.tasks import Task, TaskManager

#: The bar's range: per-mille of the task's total.
SCALE = 1000


def scaled(done: int, total: int) -> int:
    """``done`` of ``total`` as per-mille (0 to :data:`SCALE`)."""
    if total <= 0:
        return 0
    return max(0, min(SCALE, done * SCALE // total))


class TaskProgress(QWidget):
    """What one task is doing, how far it is, and a Cancel button; hidden when idle.

    Signals:
        finished(object): the followed ``Task`` ended (done, failed or cancelled).

    Attributes:
        task: the task followed now, if any.
        bar: the progress bar (busy indicator until the task reports a total).
        detail: the item the task works on (a file name).
        cancel_button: asks the task to stop at its next check.
    """

    finished = Signal(object)

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None,
                 cancel_text: str = "&Cancel") -> None:
        super().__init__(parent)
        self.setObjectName("taskProgress")
        self.task: Task | None = None
        self.bar = QProgressBar(self)
        self.bar.setObjectName("taskProgressBar")
        self.bar.setRange(0, SCALE)
        name(self.bar, "Progress")
        self.detail = QLabel(self)
        self.detail.setObjectName("taskProgressDetail")
        self.detail.setWordWrap(True)
        self.cancel_button = QPushButton(cancel_text, self)
        self.cancel_button.setObjectName("cancelTaskProgress")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Stop at the next check; nothing is changed")
        self.cancel_button.clicked.connect(lambda _checked=False: self.cancel())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.detail)
        tasks.progressChanged.connect(self._progress)
        tasks.taskStarted.connect(self._started)
        tasks.taskFinished.connect(self._finished)
        self.setVisible(False)

    @property
    def running(self) -> bool:
        return self.task is not None

    def follow(self, task: Task, waiting: str = "Waiting for the work before it…") -> None:
        """Show ``task``'s progress from now until it ends."""
        self.task = task
        self.bar.setRange(0, 0)  # busy until the first report
        self.detail.setText(waiting if task.state == "queued" else "")
        self.cancel_button.setEnabled(task.cancellable)
        self.setVisible(True)

    def cancel(self) -> None:
        """Ask the task to stop (it stops at its next check)."""
        if self.task is not None and not self.task.cancelled:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.detail.setText("Stopping…")

    def _started(self, task: Task) -> None:
        if task is self.task and not task.cancelled:
            self.detail.setText("")

    def _progress(self, task: Task) -> None:
        if task is not self.task or task.progress is None or task.cancelled:
            return
        progress = task.progress
        if progress.total:
            self.bar.setRange(0, SCALE)
            self.bar.setValue(scaled(progress.done, progress.total))
        self.detail.setText(progress.message)

    def _finished(self, task: Task) -> None:
        if task is not self.task:
            return
        self.task = None
        self.setVisible(False)
        emit(self.finished, task)
