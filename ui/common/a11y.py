"""Screen readers: naming controls, and finding the ones a screen reader cannot name.

A screen reader announces a control by its accessible name.  Qt derives it from a
button's text or a line edit's buddy label; everything else (a list, a table, a line
edit without a label) needs :func:`name`.  :func:`unnamed_controls` walks a window's
widget tree as a screen reader sees it (the names come from ``QAccessible``, not from
the widget's own property), so a test can assert every control is named.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QCalendarWidget,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QStackedWidget,
    QTabBar,
    QTextEdit,
    QWidget,
)

#: The kinds of widget an analyst works with (and a screen reader must announce).
CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QAbstractSpinBox,
            QTextEdit, QPlainTextEdit, QAbstractSlider, QTabBar)


def name(widget: QWidget, text: str, description: str = "") -> QWidget:
    """Give ``widget`` the accessible ``text`` (and ``description`` where the name alone
    is not clear); returns it, to chain."""
    widget.setAccessibleName(text)
    if description:
        widget.setAccessibleDescription(description)
    return widget


def spoken_name(widget: QWidget) -> str:
    """The name a screen reader announces for ``widget`` (empty when it has none)."""
    iface = QAccessible.queryAccessibleInterface(widget)
    if iface is None or not iface.isValid():
        return ""
    return (iface.text(QAccessible.Text.Name) or "").replace("&", "").strip()


def _is_part_of_another(widget: QWidget) -> bool:
    """Qt's own inner parts (a spin box's line edit, a scroll area's bars, a combo box's
    editor, a tab bar's scroll arrows, a line edit's clear button, a table's corner
    button) are announced with the control they belong to."""
    if widget.objectName().startswith("qt_") or isinstance(widget, (QScrollBar, QHeaderView)):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QTabBar, QLineEdit,
                               QCalendarWidget)):
            return True
        if isinstance(parent, QAbstractItemView):
            return not parent.viewport().isAncestorOf(widget)
        parent = parent.parentWidget()
    return False


def _shown_in(widget: QWidget, top: QWidget) -> bool:
    """Whether ``widget`` is part of what ``top`` shows: not hidden, or hidden only as
    another page of a stack or tab widget (the analyst turns to it)."""
    while widget is not top:
        parent = widget.parentWidget()
        if parent is None:
            return False
        if widget.isHidden() and not isinstance(parent, QStackedWidget):
            return False
        widget = parent
    return True


def unnamed_controls(top: QWidget) -> list[str]:
    """Every control of the window ``top`` (on any page of its tabs and stacks) a screen
    reader would announce without a name, described as ``Class 'objectName' in Window``."""
    found = []
    for widget in [top, *top.findChildren(QWidget)]:
        if not isinstance(widget, CONTROLS) or widget.window() is not top \
                or _is_part_of_another(widget) or not _shown_in(widget, top):
            continue
        if not spoken_name(widget):
            found.append(f"{type(widget).__name__} {widget.objectName()!r} "
                         f"in {type(top).__name__}")
    return found
