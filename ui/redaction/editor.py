"""The redaction editor: boxes over the image, each with a reason, and suggestions to
confirm or dismiss (faces found by the detector, phone numbers and e-mail addresses read
by OCR, computed off the GUI thread; any OCR word can be marked, e.g. a name).  It starts
from the capture's current redaction; Apply makes a new redacted copy from the original
on the writer (the task manager).  The original is never changed.  The picture follows
the window's wellbeing mode (:mod:`ui.gallery.wellbeing`): blurred or grey until the
analyst reveals it (Reveal, R), as in the viewer."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.common.background import Background
from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.qtutil import emit
from ui.common.session import Session
from ui.gallery.thumbnails import read_image
from ui.gallery.wellbeing import Wellbeing, treat
from ui.redaction.canvas import RedactionCanvas
from workstation.errors import WorkstationError
from workstation.redaction.model import COMMON_REASONS, Box
from workstation.redaction.suggest import Suggestion, Suggestions
from workstation.workspace import Workspace

MAX_SIDE = 8192
HELP = ("Drag on the image to draw a box. Keys: N new box, arrows move (Ctrl: ×10), "
        "Shift+arrows resize, Tab next box, Delete removes it.")


class RedactionEditor(QMainWindow):
    """Draw the boxes of one capture's redaction (a separate window).

    Signals:
        loaded(): the image and the current boxes are shown.
        suggestionsReady(): the suggestions and OCR words are listed.
        applied(int): the new redaction's id.

    Attributes:
        capture_id: the capture redacted.
        canvas: the image and its boxes.
        reveal_action: shows the image as it is (R), when the wellbeing mode hides it.
        reason: the chosen box's reason (editable: any text).
        box_list, suggestion_list, word_list: the side lists.
    """

    loaded = Signal()
    suggestionsReady = Signal()
    applied = Signal(int)

    def __init__(self, session: Session, ops: Operations, capture_id: int,
                 parent: QWidget | None = None, *, wellbeing: Wellbeing | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("redactionEditor")
        self.setWindowTitle(f"Redact capture #{capture_id}")
        self.setAccessibleName("Redaction editor")
        self.resize(1200, 800)
        self.capture_id = capture_id
        self._session = session
        self._ops = ops
        self._background = Background(1, self)
        self._suggestions: list[Suggestion] = []
        self._words: list[tuple[str, tuple[int, int, int, int]]] = []
        self._wellbeing = wellbeing
        self._image = QImage()  # as decoded; shown treated until revealed
        self.canvas = RedactionCanvas(self)
        self.status = QLabel(HELP, self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        self._build(self._side_panel())
        self._build_actions()
        self.canvas.boxesChanged.connect(self._list_boxes)
        self.canvas.chosenChanged.connect(self._chosen)
        if wellbeing is not None:
            wellbeing.changed.connect(self._show_treated)
        self._show_treated()
        self._load()

    # ------------------------------------------------------------------- layout
    def _side_panel(self) -> QWidget:
        side = QWidget(self)
        layout = QVBoxLayout(side)
        layout.addWidget(QLabel("&Boxes (filled solid black):", side))
        self.box_list = QListWidget(side)
        self.box_list.setAccessibleName("Boxes")
        self.box_list.currentRowChanged.connect(self._row_chosen)
        layout.addWidget(self.box_list)
        label = QLabel("&Reason for the chosen box:", side)
        layout.addWidget(label)
        self.reason = QComboBox(side)
        self.reason.setEditable(True)
        self.reason.addItems(list(COMMON_REASONS))
        self.reason.setAccessibleName("Reason for the chosen box")
        self.reason.currentTextChanged.connect(self._reason_changed)
        label.setBuddy(self.reason)
        layout.addWidget(self.reason)
        label = QLabel("&Suggestions (never applied by themselves):", side)
        layout.addWidget(label)
        self.suggestion_list = QListWidget(side)
        self.suggestion_list.setAccessibleName("Suggestions")
        label.setBuddy(self.suggestion_list)
        layout.addWidget(self.suggestion_list)
        row = QHBoxLayout()
        self.confirm_button = QPushButton("&Confirm", side)
        self.confirm_button.setAccessibleName("Confirm the suggestion")
        self.confirm_button.clicked.connect(self.confirm_suggestion)
        self.dismiss_button = QPushButton("D&ismiss", side)
        self.dismiss_button.setAccessibleName("Dismiss the suggestion")
        self.dismiss_button.clicked.connect(self.dismiss_suggestion)
        row.addWidget(self.confirm_button)
        row.addWidget(self.dismiss_button)
        layout.addLayout(row)
        label = QLabel("OCR &words (mark a third-party name):", side)
        layout.addWidget(label)
        self.word_list = QListWidget(side)
        self.word_list.setAccessibleName("OCR words")
        self.word_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        label.setBuddy(self.word_list)
        layout.addWidget(self.word_list)
        self.mark_button = QPushButton("&Mark selected words", side)
        self.mark_button.setAccessibleName("Redact the selected words as a name")
        self.mark_button.clicked.connect(self.mark_words)
        layout.addWidget(self.mark_button)
        self.apply_button = QPushButton("&Apply", side)
        self.apply_button.setAccessibleName("Apply: make the redacted copy")
        self.apply_button.clicked.connect(self.apply)
        layout.addWidget(self.apply_button)
        return side

    def _build(self, side: QWidget) -> None:
        splitter = QSplitter(self)
        splitter.addWidget(self.canvas)
        splitter.addWidget(side)
        splitter.setSizes([800, 400])
        self.setCentralWidget(splitter)
        self.statusBar().addWidget(self.status, 1)

    def _build_actions(self) -> None:
        for text, shortcut, slot in (("Apply", "Ctrl+Return", self.apply),
                                     ("Close", "Esc", self.close)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            self.addAction(action)
        self.reveal_action = QAction("Reveal image", self)
        self.reveal_action.setShortcut(QKeySequence("R"))
        self.reveal_action.setCheckable(True)
        self.reveal_action.setToolTip("Show the image as it is (R); the wellbeing setting "
                                      "blurs it until revealed")
        self.reveal_action.toggled.connect(self._reveal)
        self.addAction(self.reveal_action)
        self.reveal_button = QPushButton("Re&veal image", self)
        self.reveal_button.setAccessibleName("Reveal the image")
        self.reveal_button.clicked.connect(lambda: self.reveal_action.setChecked(
            not self.reveal_action.isChecked()))
        self.statusBar().addPermanentWidget(self.reveal_button)

    def treatment(self) -> str:
        """How the picture is shown now: ``blur``, ``grey`` or ``off`` (as it is)."""
        return self._wellbeing.treatment(self.capture_id) if self._wellbeing else "off"

    def _reveal(self, on: bool) -> None:
        if self._wellbeing is not None:
            self._wellbeing.set_revealed(self.capture_id, on)

    def _show_treated(self) -> None:
        """The picture as the wellbeing mode says (the boxes are in image pixels, the
        same either way)."""
        mode = self.treatment()
        self.reveal_action.blockSignals(True)
        self.reveal_action.setChecked(mode == "off")
        self.reveal_action.blockSignals(False)
        self.reveal_button.setVisible(self._wellbeing is not None and (
            self._wellbeing.mode != "off" and not self._wellbeing.reveal_all))
        self.reveal_button.setText("&Hide image" if mode == "off" else "Re&veal image")
        if not self._image.isNull():
            self.canvas.set_image(treat(self._image, mode), fit=self.canvas.size_px == (0, 0))

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        """The image (as shown) and the current boxes, then the suggestions: off the
        GUI thread."""
        reader = self._session.reader
        try:
            capture = reader.captures.get(self.capture_id)
            current = reader.redactions.current(self.capture_id)
        except WorkstationError as exc:
            self.status.setText(message_for(exc))
            return
        captures = reader.captures

        def decoded(image: QImage) -> None:
            if image.isNull():
                self.status.setText("This image cannot be shown here, so no box can be drawn "
                                    "on it.")
                return
            self._image = image
            self._show_treated()
            for box in current.boxes if current else ():
                self.canvas.add_box(box)
            self.canvas.choose(-1)
            self.canvas.setFocus()
            emit(self.loaded)
            self._suggest()

        self._background.call(
            lambda: read_image(captures.original(capture), QSize(MAX_SIDE, MAX_SIDE)), decoded,
            lambda exc: self.status.setText(f"The image cannot be shown: {message_for(exc)}"))

    def _suggest(self) -> None:
        self.status.setText("Looking for faces and third-party details…")
        cid = self.capture_id

        def find(ws: Workspace) -> tuple[Suggestions, list[Any]]:
            return ws.redactions.suggest(cid), ws.redactions.ocr_words(cid)

        def done(result: tuple[Suggestions, list[Any]]) -> None:
            found, words = result
            self._suggestions = list(found.items)
            self._words = list(words)
            self._list_suggestions()
            self.word_list.clear()
            for text, box in self._words:
                self.word_list.addItem(f"{text}    ({box[0]},{box[1]})")
            notes = " ".join(found.notes)
            self.status.setText(f"Found {len(self._suggestions)} suggestion(s). {notes} {HELP}")
            emit(self.suggestionsReady)

        def failed(exc: BaseException) -> None:
            self.status.setText(f"No suggestions: {message_for(exc)}")
            emit(self.suggestionsReady)

        self._background.call(lambda: self._session.read_in_background(find), done, failed)

    # --------------------------------------------------------------- the lists
    def _list_boxes(self) -> None:
        self.box_list.blockSignals(True)
        self.box_list.clear()
        for n, box in enumerate(self.canvas.boxes(), start=1):
            self.box_list.addItem(f"{n}. {box.x},{box.y},{box.w},{box.h} — {box.reason} "
                                  f"({box.source})")
        self.box_list.setCurrentRow(self.canvas.chosen)
        self.box_list.blockSignals(False)

    def _list_suggestions(self) -> None:
        self.suggestion_list.clear()
        for s in self._suggestions:
            item = QListWidgetItem(f"{s.label}: {s.box.x},{s.box.y},{s.box.w},{s.box.h}")
            item.setToolTip(s.box.reason)
            self.suggestion_list.addItem(item)
        if self._suggestions:
            self.suggestion_list.setCurrentRow(0)

    def _chosen(self, index: int) -> None:
        self._list_boxes()
        if index >= 0:
            self.reason.blockSignals(True)
            self.reason.setCurrentText(self.canvas.box_items[index].reason)
            self.reason.blockSignals(False)

    def _row_chosen(self, row: int) -> None:
        if row != self.canvas.chosen:
            self.canvas.choose(row)

    def _reason_changed(self, text: str) -> None:
        reason = " ".join(text.split())
        self.canvas.default_reason = reason or self.canvas.default_reason
        self.canvas.set_reason(reason)

    # ------------------------------------------------------------------ actions
    def confirm_suggestion(self) -> None:
        """Add the chosen suggestion as a box."""
        row = self.suggestion_list.currentRow()
        if 0 <= row < len(self._suggestions):
            self.canvas.add_box(self._suggestions.pop(row).box)
            self._list_suggestions()

    def dismiss_suggestion(self) -> None:
        row = self.suggestion_list.currentRow()
        if 0 <= row < len(self._suggestions):
            self._suggestions.pop(row)
            self._list_suggestions()

    def mark_words(self) -> None:
        """A box over each selected OCR word, as a third-party name."""
        for row in sorted(i.row() for i in self.word_list.selectedIndexes()):
            x, y, w, h = self._words[row][1]
            if w > 0 and h > 0:
                self.canvas.add_box(Box(x - 2, y - 2, w + 4, h + 4, "third-party name", "ocr"))
        self.word_list.clearSelection()

    def apply(self) -> None:
        """Make the redacted copy on the writer; the window closes when it is stored."""
        boxes = self.canvas.boxes()
        if not boxes:
            self.status.setText("Draw at least one box (N adds one at the centre).")
            return
        if any(not b.reason for b in boxes):
            self.status.setText("Give every box a reason.")
            return
        cid = self.capture_id
        self.apply_button.setEnabled(False)

        def done(redaction_id: int) -> None:
            emit(self.applied, redaction_id)
            self.close()

        def failed(message: str) -> None:
            self.apply_button.setEnabled(True)
            self.status.setText(message)

        self._ops.run(f"Redacting capture #{cid}",
                      lambda ws, _task: ws.redactions.redact(cid, boxes).id,
                      on_done=done, on_error=failed)

    def shutdown(self) -> None:
        self._background.shutdown()
