"""The status-bar strip showing the writer's current task: what, how far, Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ui.common.taskprogress import SCALE, scaled
from ui.common.tasks import Task, TaskManager


class TaskStatus(QWidget):
    """Title, progress bar and Cancel button of the running task; hidden when idle.

    Attributes:
        label: "Importing 3 of 20 …".
        bar: the progress bar.
        cancel_button: cancels the running task (finished items are kept).
    """

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskStatus")
        self._tasks = tasks
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelTask")
        self.cancel_button.setToolTip("Stop after the current item; finished work is kept "
                                      "(Ctrl+.)")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        tasks.taskStarted.connect(self._update)
        tasks.progressChanged.connect(self._update)
        tasks.taskFinished.connect(self._update)
        tasks.busyChanged.connect(lambda _busy: self._update())
        self.setVisible(False)

    def cancel(self) -> None:
        task = self._tasks.current
        if task is not None and task.cancellable:
            task.cancel()
            self.label.setText(f"{task.title}: stopping after the current item…")
            self.cancel_button.setEnabled(False)

    def _update(self, _task: Task | None = None) -> None:
        task = self._tasks.current
        if task is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        progress = task.progress
        waiting = len(self._tasks.active) - 1
        text = task.title
        if progress is not None and progress.total:
            text += f" {min(progress.done + 1, progress.total)} of {progress.total}"
            if progress.total < 2**31:
                self.bar.setRange(0, progress.total)
                self.bar.setValue(progress.done)
            else:  # bytes of a large case bundle: past what the bar holds
                self.bar.setRange(0, SCALE)
                self.bar.setValue(scaled(progress.done, progress.total))
        else:
            self.bar.setRange(0, 0)  # busy indicator
        if task.cancelled:
            text += " (stopping…)"
        if waiting > 0:
            text += f"  (+{waiting} waiting)"
        self.label.setText(text)
        self.cancel_button.setEnabled(task.cancellable and not task.cancelled)
