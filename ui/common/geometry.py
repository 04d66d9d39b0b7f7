"""Where a window first opens, and whether a remembered geometry is still usable.

The first size is a share of the screen (70%, at least 1100×700 where the screen
has room, never more than 95% of it), centred; after that the window opens where
the analyst left it (``Preferences.state("geometry")``), unless that place is on no
screen any more (a monitor unplugged) or the size is too small to work in.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QDataStream, QRect, QSize, Qt
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QStyle, QWidget

SHARE = 0.7
LARGEST_SHARE = 0.95
SMALLEST_FIRST = QSize(1100, 700)
#: A remembered size smaller than this is not worth restoring.
SMALLEST_RESTORED = QSize(480, 320)
#: The start of what ``QWidget.saveGeometry`` writes (Qt 5 and 6).
_GEOMETRY_MAGIC = 0x1D9D0CB
#: How much of a restored window must lie on a screen: enough to grab and move it.
VISIBLE_PART = QSize(120, 60)


def first_geometry(available: QRect) -> QRect:
    """The first geometry of a main window on a screen whose available area is
    ``available``: 70% of it, at least 1100×700 where 95% of it allows, centred."""
    def side(length: int, smallest: int) -> int:
        return min(max(round(length * SHARE), smallest), round(length * LARGEST_SHARE))

    size = QSize(side(available.width(), SMALLEST_FIRST.width()),
                 side(available.height(), SMALLEST_FIRST.height()))
    return QStyle.alignedRect(Qt.LayoutDirection.LeftToRight, Qt.AlignmentFlag.AlignCenter,
                              size, available)


def place_first(window: QWidget) -> None:
    """Size and centre ``window`` on the screen under the mouse pointer (else the
    primary one), as :func:`first_geometry` says."""
    screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    rect = first_geometry(screen.availableGeometry())
    window.resize(rect.size())
    window.move(rect.topLeft())


def on_a_screen(rect: QRect) -> bool:
    """Whether enough of ``rect`` lies on one screen for the window to be seen and moved."""
    for screen in QGuiApplication.screens():
        part = screen.availableGeometry().intersected(rect)
        if part.width() >= VISIBLE_PART.width() and part.height() >= VISIBLE_PART.height():
            return True
    return False


def saved_frame(saved: QByteArray) -> QRect | None:
    """The window frame's place and size in ``saved`` (``QWidget.saveGeometry``), as it
    was saved: ``restoreGeometry`` itself moves a window that would be off-screen
    and shrinks it, which is not where the analyst left it."""
    stream = QDataStream(saved)
    stream.setVersion(QDataStream.Version.Qt_4_0)
    if stream.readUInt32() != _GEOMETRY_MAGIC:
        return None
    stream.readUInt16()  # the format's major and minor versions
    stream.readUInt16()
    frame = QRect()
    stream >> frame
    return frame if stream.status() == QDataStream.Status.Ok and frame.isValid() else None


def restore_geometry(window: QWidget, saved: QByteArray | None) -> bool:
    """Put ``window`` where it was (``QWidget.saveGeometry``'s ``saved``); ``False``,
    leaving it as it was, when nothing usable was saved (none, unreadable, on no
    screen, or too small)."""
    if saved is None or saved.isEmpty():
        return False
    frame = saved_frame(saved)
    if frame is not None and not on_a_screen(frame):
        return False
    before = window.geometry()
    if not window.restoreGeometry(saved):
        return False
    rect = window.geometry()
    usable = (on_a_screen(rect) and rect.width() >= SMALLEST_RESTORED.width()
              and rect.height() >= SMALLEST_RESTORED.height())
    if not usable:
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.setGeometry(before)
    return usable


__all__ = ["first_geometry", "on_a_screen", "place_first", "restore_geometry", "saved_frame"]
