"""Small Qt helpers shared by the UI modules: labels with mnemonics, read-only
tables, and ``emit`` (a safe way to emit signals on the PySide6 release in use)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QDir, QObject, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui.common.columns import keep_columns_whole

ctypes.pythonapi.Py_IncRef.argtypes = [ctypes.py_object]
ctypes.pythonapi.Py_IncRef.restype = None


def buddy_label(text: str, parent: QWidget, buddy: QWidget) -> QLabel:
    """A label whose ``&`` mnemonic (Alt+letter) moves the focus to ``buddy``."""
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label


def readonly_table(columns: tuple[str, ...] | list[str], parent: QWidget, name: str, *,
                   single: bool = False) -> QTableWidget:
    """A table of whole-row selection that the user reads but does not edit; columns
    sized to their contents, the last one stretched.  ``single``: one row at a time."""
    table = QTableWidget(0, len(columns), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    keep_columns_whole(table)  # ui/common/columns.py: the stretched last one never cut
    return table


def readonly_cell(text: object) -> QTableWidgetItem:
    """A table cell showing ``text`` (``None`` as empty) that cannot be edited."""
    from PySide6.QtCore import Qt

    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def _emit_drops_true() -> bool:
    """Whether ``SignalInstance.emit`` returns a reference it does not own.

    PySide6 6.12.0 (with CPython 3.11, where ``True`` is not immortal) hands back
    ``True`` from every Python-side ``emit()`` without counting the reference, so
    each emit lowers ``True``'s reference count by one until the interpreter
    aborts ("bool_dealloc: deallocating True or False").  Measured once, so a fixed
    PySide6 turns the compensation off by itself.
    """

    class _Probe(QObject):
        """A throw-away emitter.

        Signals:
            ping(): emitted three times to measure.
        """

        ping = Signal()

    probe = _Probe()
    ping: Any = probe.ping  # the stubs say emit() returns None; it returns a bool
    before = sys.getrefcount(True)
    results = [ping.emit() for _ in range(3)]
    dropped = sys.getrefcount(True) - (before + sum(r is True for r in results)) == -3
    if dropped:
        for result in results:
            _incref(result)
    return dropped


def _incref(value: object) -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(value))


_DROPS_TRUE = _emit_drops_true()


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, keeping ``True``'s reference count right on PySide6
    releases that drop it (see ``_emit_drops_true``).  Use it for every emit."""
    result = signal.emit(*args)
    if _DROPS_TRUE and result is not None:
        _incref(result)


def ask_export_folder(parent: QWidget) -> str:
    """Ask where to export a sealed pack (a folder or a removable drive); "" if cancelled."""
    return QFileDialog.getExistingDirectory(
        parent, "Export the pack to a folder or removable drive", QDir.homePath())
