"""Clear error dialogs: the analyst sees a sentence, never a traceback.

``WorkstationError`` messages from the core are complete sentences, shown in the
window's own words: the menu item and its shortcut where the CLI would name a
command (:meth:`~workstation.errors.WorkstationError.window_message`, the table in
:mod:`workstation.howto`).  Anything else is a bug: it is logged (with its traceback,
to the log file only, see :mod:`workstation.logs`) and reported in plain words
naming that file.  Every error shown is logged too.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QMenuBar, QMessageBox, QWidget

from workstation.errors import WorkstationError
from workstation.howto import ARROW
from workstation.logs import current_log_file

log = logging.getLogger(__name__)


_LOGGED = "_workstation_logged"


def log_unexpected(exc: BaseException) -> None:
    """Log ``exc`` with its traceback, once however often it is shown."""
    if getattr(exc, _LOGGED, False):
        return
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    with contextlib.suppress(AttributeError, TypeError):  # a type without attributes
        setattr(exc, _LOGGED, True)


#: The shortcut of each menu item of the main window, by its path (``"Workspace →
#: Verify…"``), to name it where a message points to that item.
_SHORTCUTS: dict[str, str] = {}


def menu_paths(bar: QMenuBar) -> dict[str, QAction]:
    """Every action of the menu bar ``bar`` by its path as the window says it
    (``"Workspace → Verify…"``, without the ``&`` of mnemonics)."""
    found: dict[str, QAction] = {}

    def walk(menu: QMenu | QMenuBar, prefix: str) -> None:
        for action in menu.actions():
            text = action.text().replace("&", "")
            if action.isSeparator() or not text:
                continue
            path = f"{prefix}{ARROW}{text}" if prefix else text
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, path)
            else:
                found[path] = action

    walk(bar, "")
    return found


def register_menus(bar: QMenuBar) -> None:
    """Learn the shortcuts of ``bar``'s items, to name them in messages."""
    for path, action in menu_paths(bar).items():
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            _SHORTCUTS[path] = keys


def window_text(exc: WorkstationError) -> str:
    """``exc``'s sentence in the window's words, each menu item with its shortcut."""
    text = exc.window_message()
    for path, keys in _SHORTCUTS.items():
        if f"({path})" in text:  # no brackets in brackets
            text = text.replace(f"({path})", f"({path}, {keys})", 1)
        elif path in text:
            text = text.replace(path, f"{path} ({keys})", 1)
    return text


def message_for(exc: BaseException) -> str:
    """The sentence to show for ``exc`` (an unexpected one is logged here)."""
    if isinstance(exc, WorkstationError):
        return window_text(exc)
    log_unexpected(exc)
    text = f"Something unexpected went wrong ({type(exc).__name__}: {exc}). Your evidence is safe"
    path = current_log_file()
    return f"{text}; the details were written to the log, {path}." if path else f"{text}."


def show_error(parent: QWidget | None, title: str, message: str) -> QMessageBox:
    """Show ``message`` in a window-modal box without blocking the event loop."""
    log.warning("error shown: %s: %s", title, message)
    box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.open()
    return box


def show_error_blocking(parent: QWidget | None, title: str, message: str) -> None:
    """Like :func:`show_error` but waits (used before the main window exists)."""
    log.warning("error shown: %s: %s", title, message)
    box = QMessageBox(QMessageBox.Icon.Critical, title, message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def install_excepthook() -> None:
    """Route uncaught exceptions (in slots, events) to a dialog instead of a crash."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if not isinstance(exc, WorkstationError):
            log_unexpected(exc)
        parent = QApplication.activeWindow()
        show_error(parent, "Analyst Workstation", message_for(exc))

    sys.excepthook = hook
