"""An open workspace as the UI holds it: one writer (behind the task manager)
and one read-only connection for the GUI thread.

SQLite in WAL mode lets the reader see every committed change while the
writer works, so views never wait for an import or an OCR run.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ui.common.tasks import TaskManager
from workstation.models import Capture
from workstation.workspace import Workspace

T = TypeVar("T")


class Session:
    """The workspace opened for the desktop app.

    Attributes:
        path: the workspace folder.
        reader: a read-only ``Workspace`` for the GUI thread (never blocks on writes).
        tasks: the ``TaskManager``; every change goes through it.
    """

    def __init__(self, path: Path, reader: Workspace, tasks: TaskManager,
                 background_reader: Workspace | None = None) -> None:
        self.path = path
        self.reader = reader
        self.tasks = tasks
        # Pool threads (thumbnails, image loads) get their own connection, one at a time.
        self._background = background_reader
        self._background_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str | None = None) -> Session:
        """Open for writing (taking the lock, migrating), then a reader beside it.

        Raises ``WorkstationError`` (in use, newer schema, unwritable folder ...).
        """
        writer = Workspace.open(path)
        opened: list[Workspace] = []
        try:
            for _ in range(2):
                opened.append(Workspace.open(writer.root, readonly=True))
        except BaseException:
            for ws in [*opened, writer]:
                ws.close()
            raise
        return cls(writer.root, opened[0], TaskManager(writer), opened[1])

    def read_in_background(self, fn: Callable[[Workspace], T]) -> T:
        """Run a read on the background connection (call from pool threads only)."""
        with self._background_lock:
            return fn(self._background or self.reader)

    def thumbnail(self, capture: Capture) -> bytes:
        """``Workspace.captures.thumbnail`` for pool threads (it may regenerate a missing
        thumbnail), serialised on a connection of their own."""
        with self._background_lock:
            return (self._background or self.reader).captures.thumbnail(capture)

    def analyst_known(self) -> bool:
        """Whether the analyst's name was given (setting or ``$WORKSTATION_ANALYST``)."""
        return bool(os.environ.get("WORKSTATION_ANALYST") or self.reader.setting("analyst"))

    def close(self) -> None:
        """Finish the writer's work, then close both connections."""
        self.tasks.shutdown()
        for ws in (self.reader, self._background):
            if ws is not None:
                with contextlib.suppress(Exception):
                    ws.close()
