"""Progress reporting and cancellation shared by long-running core operations.

Core functions take an optional ``progress`` callback and an optional
:class:`CancelToken`.  They never touch a UI: the CLI turns the callbacks into
a terminal progress bar, the Qt side polls them from a timer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report: ``done`` of ``total`` items (``total`` may be 0 when unknown)."""

    done: int
    total: int
    message: str = ""


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """A thread-safe flag checked between items of long work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def report(progress: ProgressCallback | None, done: int, total: int, message: str = "") -> None:
    """Call ``progress`` if given."""
    if progress is not None:
        progress(Progress(done, total, message))
