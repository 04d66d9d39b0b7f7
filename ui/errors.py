"""Clear error dialogs: the analyst sees a sentence, never a traceback.

``WorkstationError`` messages from the core are complete sentences and are
shown as they are.  Anything else is a bug: it is logged (with its traceback,
to the log only) and reported in plain words.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from workstation.errors import WorkstationError

log = logging.getLogger(__name__)


def message_for(exc: BaseException) -> str:
    """The sentence to show for ``exc``."""
    if isinstance(exc, WorkstationError):
        return str(exc)
    return (f"Something unexpected went wrong ({type(exc).__name__}: {exc}). "
            "Your evidence is safe; the details were written to the log.")


def show_error(parent: QWidget | None, title: str, message: str) -> QMessageBox:
    """Show ``message`` in a window-modal box without blocking the event loop."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.open()
    return box


def show_error_blocking(parent: QWidget | None, title: str, message: str) -> None:
    """Like :func:`show_error` but waits (used before the main window exists)."""
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
            log.error("unexpected error", exc_info=(kind, exc, tb))
        parent = QApplication.activeWindow()
        show_error(parent, "Analyst Workstation", message_for(exc))

    sys.excepthook = hook
