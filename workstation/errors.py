"""Exceptions of the core.

``WorkstationError`` and its subclasses are *user-facing*: their message is a
complete sentence an analyst can act on, and the CLI and the UI show it as it
is (never a traceback).  Anything else that escapes the core is a bug.
Messages must never contain secrets (passphrases, private keys, passwords).
"""

from __future__ import annotations


class WorkstationError(Exception):
    """A problem the user can understand and act on."""


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
