"""Crop-proof repost hashes for captures imported before they existed, made in the
background when the window starts, without holding up the analyst's work.

Hashing one capture decodes its original (40-80 ms), so a workspace of 100,000 older
captures takes more than an hour.  It is therefore never one long task: it runs in
small batches, one task each, submitted one after another.  Within a batch every
capture is one item of a stream, so edits (notes, verdicts, settings) run between two
captures; between batches any other queued work (an import, an OCR run) goes first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from PySide6.QtCore import QEvent, QObject, Signal

from ui.common.operations import Operations
from ui.common.qtutil import emit
from ui.common.tasks import Task
from workstation.errors import WorkstationError
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.workspace import Workspace

TITLE = "Repost hashes"
#: captures per task: about a second of work, after which queued work goes first
BATCH = 20


class RegionBackfill(QObject):
    """Hashes the regions of every capture still without them, batch after batch, on the
    writer (``ws.reading.hash_regions``), with progress over the whole run.

    Cancelling the running batch (the status bar's Cancel), :meth:`stop`, closing the
    ``parent`` window, or the writer closing ends the run; what was hashed is kept, the
    rest is done at the next start (or by ``workstation rehash``).

    Signals:
        finished(int): the run ended (done, cancelled or failed): how many were hashed.

    Attributes:
        hashed: captures hashed so far; total: how many were pending at the start.
        task: the batch queued or running, if any.
    """

    finished = Signal(int)

    def __init__(self, ops: Operations, batch: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._batch = max(1, batch or BATCH)
        self._todo: deque[int] | None = None  # filled on the writer by the first batch
        self._stopped = False
        self.hashed = 0
        self.total = 0
        self.task: Task | None = None
        ops.tasks.taskFinished.connect(self._task_finished)
        if parent is not None:
            parent.installEventFilter(self)  # its Close stops the run

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self) -> None:
        """Queue the first batch (it finds the captures pending, on the writer)."""
        if self.task is None and not self._stopped:
            self._next()

    def stop(self) -> None:
        """Stop after the capture being hashed; no further batch is queued."""
        self._stopped = True
        if self.task is not None:
            self.task.cancel()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.stop()
        return False

    # ------------------------------------------------------------- on the writer
    def _hash(self, ws: Workspace, progress: ProgressCallback,
              cancel: CancelToken) -> Iterator[int]:
        if self._todo is None:
            self._todo = deque(ws.reading.regions_pending())
            self.total = len(self._todo)
        report(progress, self.total - len(self._todo), self.total, TITLE)
        for _ in range(min(self._batch, len(self._todo))):
            if cancel.cancelled:
                return
            capture_id = self._todo.popleft()
            if ws.reading.hash_regions(capture_id):
                self.hashed += 1
            report(progress, self.total - len(self._todo), self.total,
                   f"capture #{capture_id}")
            yield capture_id

    # --------------------------------------------------------------- on the GUI
    def _next(self) -> None:
        try:
            self.task = self._ops.tasks.submit_stream(TITLE, self._hash)
        except WorkstationError:  # the workspace is closing
            self._end()

    def _task_finished(self, task: Task) -> None:
        """After every task: when it is this run's batch, queue the next one (behind
        whatever was queued meanwhile) or end."""
        if task is not self.task:
            return
        if task.state == "failed":
            self._end()
            emit(self._ops.failed, TITLE, task.error or "")
        elif task.state == "done" and self._todo and not self._stopped:
            self._next()
        else:  # cancelled, stopped, or nothing left
            self._end()

    def _end(self) -> None:
        self.task = None
        emit(self.finished, self.hashed)
