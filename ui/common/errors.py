"""Clear error dialogs: the analyst sees a sentence, never a traceback.

``WorkstationError`` messages from the core are complete sentences and are
shown as they are.  Anything else is a bug: it is logged (with its traceback,
to the log file only, see :mod:`workstation.logs`) and reported in plain words
naming that file.  Every error shown is logged too.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from workstation.errors import WorkstationError
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


def message_for(exc: BaseException) -> str:
    """The sentence to show for ``exc`` (an unexpected one is logged here)."""
    if isinstance(exc, WorkstationError):
        return str(exc)
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
