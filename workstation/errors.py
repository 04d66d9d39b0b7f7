"""Exceptions of the core.

``WorkstationError`` and its subclasses are *user-facing*: their message is a
complete sentence an analyst can act on, and the CLI and the UI show it as it
is (never a traceback).  Anything else that escapes the core is a bug.
Messages must never contain secrets (passphrases, private keys, passwords).
"""

from __future__ import annotations

from workstation import howto


class WorkstationError(Exception):
    """A problem the user can understand and act on.

    ``how``: the command that helps (``"verify"``, ``"tsa add URL --ca PEMFILE"``), kept
    apart from the sentence: ``str(exc)`` names it as the CLI runs it, and
    :meth:`window_message` as the window's menu item (see :mod:`workstation.howto`).
    ``window``: the whole sentence the window shows instead, where the hint alone
    cannot be said in the window's words.
    """

    def __init__(self, *args: object, how: str | None = None,
                 window: str | None = None) -> None:
        super().__init__(*args)
        self.how = how
        self.window = window

    def _message(self) -> str:
        return super().__str__()

    def __str__(self) -> str:
        return howto.for_cli(self._message(), getattr(self, "how", None))

    def window_message(self) -> str:
        """The sentence as the window shows it: menu items, never a command."""
        window = getattr(self, "window", None)
        if window:
            return window
        return howto.for_window(self._message(), getattr(self, "how", None))


class WorkspaceInUse(WorkstationError):
    """Another process holds the workspace's write lock."""


class SchemaTooNew(WorkstationError):
    """The workspace was written by a newer version of the application."""


class RejectedInput(WorkstationError):
    """An input file was refused (not an image, truncated, too large ...)."""


class NotFound(WorkstationError):
    """A capture, case or other record does not exist."""


class MissingDependency(WorkstationError):
    """A system component (Tesseract language pack, CLI tool ...) is not installed."""


class Cancelled(WorkstationError):
    """Long work was cancelled by the user; finished parts are kept."""


class NoWorkspace(WorkstationError):
    """There is no workspace at the path (and this command does not create one)."""


class MissingDatabase(WorkstationError):
    """The folder holds a workspace's evidence or anchor but its ``workspace.db`` is gone."""


class BehindAnchor(WorkstationError):
    """The database is behind its audit anchor (rolled back, or its newest entries
    deleted): refused for writing until restored or the gap is acknowledged."""


class DiskFull(WorkstationError):
    """The disk (or the file-size limit) ran out while writing; what was half-written was
    removed, what finished before is kept."""


class DamagedDatabase(WorkstationError):
    """``workspace.db`` is not a readable SQLite database (garbage, flipped bytes)."""
