"""Run a read-only function on a thread pool and get its result on the GUI thread.

For slow reads that must not stall the window (decoding a full-size
screenshot).  Never used for writes: those go to :mod:`ui.common.tasks`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ui.common.qtutil import emit

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Signals:
    done(int, object, object): call id, result, exception (or None).
    """

    done = Signal(int, object, object)


class _Job(QRunnable):
    """Runs one callable on the pool and hands its outcome to the relay."""

    def __init__(self, relay: _Relay, call_id: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._relay, self._id, self._fn = relay, call_id, fn

    def run(self) -> None:
        try:
            result, error = self._fn(), None
        except Exception as exc:
            log.warning("background call failed: %s", exc)
            result, error = None, exc
        emit(self._relay.done, self._id, result, error)


class Background(QObject):
    """Runs callables off the GUI thread; callbacks run on the GUI thread.

    Signals:
        idle(): the last outstanding call delivered its result.
    """

    idle = Signal()

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None],
                                         Callable[[BaseException], None] | None]] = {}

    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None) -> int:
        call_id = next(self._ids)
        self._callbacks[call_id] = (on_done, on_error)
        self._pool.start(_Job(self._relay, call_id, fn))
        return call_id

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def _done(self, call_id: int, result: Any, error: BaseException | None) -> None:
        on_done, on_error = self._callbacks.pop(call_id, (None, None))
        if error is not None:
            if on_error is not None:
                on_error(error)
        elif on_done is not None:
            on_done(result)
        if not self._callbacks:
            emit(self.idle)

    def shutdown(self) -> None:
        self._callbacks.clear()
        self._pool.clear()
        self._pool.waitForDone(10_000)
