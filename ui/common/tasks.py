"""The one writer thread: every change to the writable workspace runs here.

``TaskManager`` owns the writable :class:`~workstation.workspace.Workspace` and a
``QThread`` that runs submitted :class:`Task` objects one after another (imports,
edits, OCR runs, settings).  The GUI thread never writes and never waits for
the writer: it reads through a second, read-only workspace.

Results cross back to the GUI thread in two ways:

* the end of a task (result or error) arrives by a queued signal;
* partial results (``Task.emit``) and progress (``Task.report``) are buffered
  under a lock and *polled* by a 100 ms ``QTimer`` on the GUI thread, so a fast
  stream of results never floods the event loop with signals or repaints.

Cancellation is cooperative: each task has a :class:`~workstation.progress.CancelToken`
that the core checks between items; what finished before the cancel is kept.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from ui.common.errors import window_text
from ui.common.qtutil import emit
from workstation.errors import Cancelled, WorkstationError
from workstation.progress import CancelToken, Progress, ProgressCallback
from workstation.workspace import Workspace

log = logging.getLogger(__name__)

POLL_MS = 100

TaskFn = Callable[[Workspace, "Task"], Any]
StreamFn = Callable[[Workspace, ProgressCallback, CancelToken], Iterator[Any]]


class Task:
    """One unit of work for the writer thread.

    Attributes:
        id: a number unique in this process.
        title: what the status bar shows ("Importing", "OCR" ...).
        cancel_token: checked by the core between items.
        cancellable: whether the UI offers Cancel for it.
        quick: a short change (an edit) that may run between the items of a long task.
        state: ``queued``, ``running``, ``done``, ``failed`` or ``cancelled``.
        result: what the function returned (``done`` only).
        error: the message to show (``failed`` only; never a traceback).
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        title: str,
        fn: TaskFn,
        *,
        on_items: Callable[[list[Any]], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        cancellable: bool = True,
        quick: bool = False,
    ) -> None:
        self.id = next(self._ids)
        self.quick = quick
        self.title = title
        self.fn = fn
        self.on_items = on_items
        self.on_done = on_done
        self.on_error = on_error
        self.cancellable = cancellable
        self.cancel_token = CancelToken()
        self.state = "queued"
        self.result: Any = None
        self.error: str | None = None
        self._lock = threading.Lock()
        self._items: list[Any] = []
        self._progress: Progress | None = None
        self._progress_seen: Progress | None = None

    # ---------------------------------------------------- called on the writer
    def emit(self, item: Any) -> None:
        """Hand a partial result to the GUI (delivered by the next poll)."""
        with self._lock:
            self._items.append(item)

    def report(self, progress: Progress) -> None:
        """A ``ProgressCallback`` for the core: keeps only the latest report."""
        with self._lock:
            self._progress = progress

    # ------------------------------------------------------ called on the GUI
    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    @property
    def progress(self) -> Progress | None:
        with self._lock:
            return self._progress

    def _take(self) -> tuple[list[Any], Progress | None]:
        """Pending items, and the progress if it changed since the last take."""
        with self._lock:
            items, self._items = self._items, []
            fresh = self._progress if self._progress is not self._progress_seen else None
            self._progress_seen = self._progress
        return items, fresh

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.title!r} {self.state}>"


class _WriterThread(QThread):
    """Runs tasks in order against the writable workspace.

    Quick tasks (edits, settings, a paste) go before queued long ones, and also
    run *between the items* of a running stream (an import, an OCR run): a
    stream's generator is suspended at its ``yield`` with nothing half-written,
    so an analyst's edit never waits for a 500-image OCR run to end.

    Signals:
        taskStarted(Task): a task began (emitted on this thread, queued to the GUI).
        taskEnded(Task): a task finished, failed or was cancelled.
    """

    taskStarted = Signal(object)
    taskEnded = Signal(object)

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.setObjectName("workspace-writer")
        self._workspace = workspace
        self._cond = threading.Condition()
        self._quick: deque[Task] = deque()
        self._long: deque[Task] = deque()
        self._stopping = False

    def put(self, task: Task) -> None:
        with self._cond:
            (self._quick if task.quick else self._long).append(task)
            self._cond.notify()

    def stop(self) -> None:
        """Finish what is queued (cancelled tasks are skipped), then end."""
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def run(self) -> None:
        while True:
            with self._cond:
                while not (self._quick or self._long or self._stopping):
                    self._cond.wait()
                if self._quick:
                    task = self._quick.popleft()
                elif self._long:
                    task = self._long.popleft()
                else:
                    return
            self._run(task)

    def run_quick(self) -> None:
        """Run the quick tasks waiting now (called between a stream's items)."""
        while True:
            with self._cond:
                if not self._quick:
                    return
                task = self._quick.popleft()
            self._run(task)

    def _run(self, task: Task) -> None:
        if task.cancelled:
            task.state = "cancelled"
            emit(self.taskEnded, task)
            return
        task.state = "running"
        emit(self.taskStarted, task)
        try:
            task.result = task.fn(self._workspace, task)
            task.state = "cancelled" if task.cancelled else "done"
        except Cancelled:
            task.state = "cancelled"
        except WorkstationError as exc:
            task.error, task.state = window_text(exc), "failed"
        except Exception as exc:  # a bug: log it, show a plain sentence
            log.exception("task %r failed", task.title)
            task.error = (f"{task.title} stopped because of an unexpected problem "
                          f"({type(exc).__name__}: {exc}). Work finished before it is kept.")
            task.state = "failed"
        emit(self.taskEnded, task)


class TaskManager(QObject):
    """Owns the writable workspace and its writer thread.

    Signals:
        taskStarted(Task): a task began running.
        progressChanged(Task): the running task reported progress (read ``task.progress``).
        itemsReady(Task, list): partial results, delivered in batches by the poll timer.
        taskFinished(Task): the task ended (``state`` done, failed or cancelled),
            after its ``on_done``/``on_error`` callback ran (``on_done`` gets what
            finished before a cancel; a task cancelled before it started gets none).
        busyChanged(bool): whether any task is queued or running.

    Attributes:
        workspace: the writable workspace; only touch it from task functions.
    """

    taskStarted = Signal(object)
    progressChanged = Signal(object)
    itemsReady = Signal(object, list)
    taskFinished = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._active: list[Task] = []
        self._thread = _WriterThread(workspace)
        self._thread.taskStarted.connect(self._on_started)
        self._thread.taskEnded.connect(self._on_ended)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._closed = False
        self._thread.start()

    # ------------------------------------------------------------------ submit
    def submit(
        self,
        title: str,
        fn: TaskFn,
        *,
        on_items: Callable[[list[Any]], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        cancellable: bool = True,
        quick: bool | None = None,
    ) -> Task:
        """Queue ``fn(workspace, task)`` on the writer thread; callbacks run on the GUI.

        ``quick`` (default: not ``cancellable``) lets the task run between the items of
        a long stream; use it for short changes only.
        """
        if self._closed:
            raise WorkstationError("The workspace is closing; the change was not made.")
        task = Task(title, fn, on_items=on_items, on_done=on_done, on_error=on_error,
                    cancellable=cancellable,
                    quick=(not cancellable) if quick is None else quick)
        was_busy = self.busy
        self._active.append(task)
        self._thread.put(task)
        if not self._timer.isActive():
            self._timer.start()
        if not was_busy:
            emit(self.busyChanged, True)
        return task

    def submit_stream(
        self,
        title: str,
        make: StreamFn,
        *,
        on_items: Callable[[list[Any]], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> Task:
        """Queue a core generator (``import_paths``, ``run_ocr`` ...): every item it yields
        reaches ``on_items`` as it lands; the result is the list of all items."""

        def run(ws: Workspace, task: Task) -> list[Any]:
            out: list[Any] = []
            try:
                for item in make(ws, task.report, task.cancel_token):
                    out.append(item)
                    task.emit(item)
                    self._thread.run_quick()
            except Cancelled:
                task.cancel()  # the core stopped on its own token: keep what landed
            return out

        return self.submit(title, run, on_items=on_items, on_done=on_done, on_error=on_error)

    # ------------------------------------------------------------------- state
    @property
    def busy(self) -> bool:
        return bool(self._active)

    @property
    def active(self) -> list[Task]:
        """Tasks queued or running, oldest first."""
        return list(self._active)

    @property
    def current(self) -> Task | None:
        """The running long task, else any running task, else the next queued one."""
        running = [t for t in self._active if t.state == "running"]
        for task in running:
            if not task.quick:
                return task
        if running:
            return running[0]
        return self._active[0] if self._active else None

    def cancel_all(self) -> None:
        for task in self._active:
            if task.cancellable:
                task.cancel()

    # --------------------------------------------------------------- GUI side
    def _poll(self) -> None:
        for task in list(self._active):
            self._deliver(task)

    def _deliver(self, task: Task) -> None:
        items, progress = task._take()
        if items:
            if task.on_items is not None:
                task.on_items(items)
            emit(self.itemsReady, task, items)
        if progress is not None:
            emit(self.progressChanged, task)

    def _on_started(self, task: Task) -> None:
        emit(self.taskStarted, task)

    def _on_ended(self, task: Task) -> None:
        self._deliver(task)
        if task in self._active:
            self._active.remove(task)
        try:
            if task.state == "failed":
                if task.on_error is not None:
                    task.on_error(task.error or "")
            elif task.on_done is not None and not (task.state == "cancelled"
                                                   and task.result is None):
                task.on_done(task.result)
        finally:
            emit(self.taskFinished, task)
            if not self._active:
                self._timer.stop()
                emit(self.busyChanged, False)

    # --------------------------------------------------------------- shutdown
    def shutdown(self, wait_ms: int = 60_000) -> None:
        """Cancel what can be cancelled (edits still run), finish the running task's
        current item, stop the thread and close the writable workspace.  No callback
        runs after this.  Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.cancel_all()  # edits (not cancellable) still run before the thread stops
        self._thread.taskStarted.disconnect(self._on_started)
        self._thread.taskEnded.disconnect(self._on_ended)
        self._thread.stop()
        self._thread.wait(wait_ms)
        self._timer.stop()
        self._active.clear()
        self.workspace.close()
