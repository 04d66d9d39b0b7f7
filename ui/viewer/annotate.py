"""Notes and tags of one capture, editable, with undo and redo.

Each change is a ``QUndoCommand`` whose ``redo``/``undo`` queue the change on
the writer thread (``Workspace.set_notes``, ``add_tags``, ``remove_tags``), so
undoing is itself an audited change.  Every capture has its own undo stack,
kept in a ``QUndoGroup`` whose active stack follows the capture shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QUndoCommand, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.operations import Operations
from ui.common.qtutil import buddy_label, emit
from workstation.models import Capture


class NotesCommand(QUndoCommand):
    """Replace a capture's notes."""

    def __init__(self, ops: Operations, capture_id: int, old: str, new: str) -> None:
        super().__init__("Edit notes")
        self._ops, self._id, self._old, self._new = ops, capture_id, old, new

    def redo(self) -> None:
        self._ops.set_notes(self._id, self._new)

    def undo(self) -> None:
        self._ops.set_notes(self._id, self._old)


class TagsCommand(QUndoCommand):
    """Add or remove tags of a capture (only tags that really change)."""

    def __init__(self, ops: Operations, capture_id: int, tags: list[str], add: bool) -> None:
        verb = "Add" if add else "Remove"
        super().__init__(f"{verb} tag {', '.join(tags)}")
        self._ops, self._id, self._tags, self._add = ops, capture_id, tags, add

    def _apply(self, add: bool) -> None:
        if add:
            self._ops.add_tags(self._id, self._tags)
        else:
            self._ops.remove_tags(self._id, self._tags)

    def redo(self) -> None:
        self._apply(self._add)

    def undo(self) -> None:
        self._apply(not self._add)


class AnnotationPanel(QWidget):
    """Notes (Ctrl+S saves) and tags (Enter adds, Delete removes), with undo.

    Signals:
        edited(): a change was queued.

    Attributes:
        notes: the notes editor.
        tags: the list of tags.
        tag_entry: the "add tag" field (commas separate several tags).
        undo_group: the ``QUndoGroup``; its actions are the viewer's Undo/Redo.
    """

    edited = Signal()

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._capture: Capture | None = None
        self._saved_notes = ""
        self.undo_group = QUndoGroup(self)
        self._stacks: dict[int, QUndoStack] = {}

        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("notesEdit")
        self.notes.setPlaceholderText("Notes about this capture (Ctrl+S to save)")
        self.notes.setTabChangesFocus(True)
        self.save_notes_button = QPushButton("Save notes", self)
        self.save_notes_button.clicked.connect(self.save_notes)
        self.status = QLabel(self)
        self.tags = QListWidget(self)
        self.tags.setObjectName("tagList")
        self.tags.setAccessibleName("Tags")
        self.tags.setMaximumHeight(110)
        self.tag_entry = QLineEdit(self)
        self.tag_entry.setObjectName("tagEntry")
        self.tag_entry.setPlaceholderText("Add tags (Enter; commas between several)")
        self.tag_entry.returnPressed.connect(self.add_from_entry)
        remove = QPushButton("Remove tag", self)
        remove.clicked.connect(self.remove_selected)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save_notes,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tags, self.remove_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)

        layout = QVBoxLayout(self)
        layout.addWidget(buddy_label("N&otes", self, self.notes))
        layout.addWidget(self.notes, 1)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.save_notes_button)
        layout.addLayout(row)
        layout.addWidget(buddy_label("T&ags", self, self.tag_entry))
        layout.addWidget(self.tags)
        row = QHBoxLayout()
        row.addWidget(self.tag_entry, 1)
        row.addWidget(remove)
        layout.addLayout(row)
        self.notes.textChanged.connect(self._notes_changed)

    # ---------------------------------------------------------------- content
    def set_capture(self, capture: Capture) -> None:
        """Show ``capture``; unsaved notes of the same capture are kept."""
        same = self._capture is not None and self._capture.id == capture.id
        dirty = same and self.notes.toPlainText() != self._saved_notes
        self._capture = capture
        if not dirty:
            self._saved_notes = capture.notes
            self.notes.blockSignals(True)
            self.notes.setPlainText(capture.notes)
            self.notes.blockSignals(False)
        else:
            self._saved_notes = capture.notes
        self.tags.clear()
        self.tags.addItems(list(capture.tags))
        stack = self._stacks.get(capture.id)
        if stack is None:
            stack = self._stacks[capture.id] = QUndoStack(self.undo_group)
        self.undo_group.setActiveStack(stack)
        self._notes_changed()

    def _stack(self) -> QUndoStack | None:
        return self.undo_group.activeStack()

    def _notes_changed(self) -> None:
        dirty = self._capture is not None and self.notes.toPlainText() != self._saved_notes
        self.save_notes_button.setEnabled(dirty)
        self.status.setText("Unsaved changes" if dirty else "")

    # ---------------------------------------------------------------- changes
    def save_notes(self) -> None:
        stack = self._stack()
        if self._capture is None or stack is None:
            return
        new = self.notes.toPlainText()
        if new == self._saved_notes:
            return
        stack.push(NotesCommand(self._ops, self._capture.id, self._saved_notes, new))
        self._saved_notes = new
        self._notes_changed()
        emit(self.edited)

    def add_from_entry(self) -> None:
        stack = self._stack()
        if self._capture is None or stack is None:
            return
        wanted = [" ".join(t.split()) for t in self.tag_entry.text().split(",")]
        new = sorted({t for t in wanted if t and t not in self._capture.tags})
        self.tag_entry.clear()
        if new:
            stack.push(TagsCommand(self._ops, self._capture.id, new, add=True))
            emit(self.edited)

    def remove_selected(self) -> None:
        stack = self._stack()
        if self._capture is None or stack is None:
            return
        chosen = sorted(item.text() for item in self.tags.selectedItems())
        if chosen:
            stack.push(TagsCommand(self._ops, self._capture.id, chosen, add=False))
            for item in self.tags.selectedItems():
                self.tags.takeItem(self.tags.row(item))
            emit(self.edited)
