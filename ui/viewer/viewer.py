"""The capture viewer: the image with its OCR word boxes and the regions left unread,
the OCR text, indicators (confirmed or rejected by the analyst from the keyboard) and
links, near-duplicates, metadata and hashes, audit history, notes and tags.

Everything is read through the read-only workspace; the full-size image is
decoded off the GUI thread.  Edits (notes, tags, verdicts on indicators) go through
:class:`~ui.common.operations.Operations`, on the writer.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QWidget,
)

from ui.common.background import Background
from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.qtutil import emit
from ui.common.session import Session
from ui.gallery.thumbnails import read_image
from ui.gallery.wellbeing import Wellbeing, treat
from ui.redaction.viewer_actions import RedactionActions
from ui.timestamps.window import trusted_text
from ui.viewer.annotate import AnnotationPanel
from ui.viewer.imageview import ImageView
from ui.viewer.indicatorpanel import IndicatorsPanel
from ui.viewer.textpanel import OcrTextPanel
from ui.viewer.viewerpanels import DetailsPanel, HistoryPanel
from workstation.errors import WorkstationError
from workstation.models import Capture
from workstation.platforms import platform_label
from workstation.reading.service import OcrRun
from workstation.reading.summary import reading_summary
from workstation.workspace import Workspace

MAX_VIEW = QSize(8192, 8192)


class ViewerWindow(QMainWindow):
    """One capture in detail (a separate, non-modal window, reused).

    Signals:
        stepRequested(int): show the next (+1) or previous (-1) capture of the gallery.
        captureShown(int): a capture's data is on screen.
        imageShown(int): its image is on screen.
        reviewed(int): a verdict on one of the capture's indicators was stored (or
            refused); once no other verdict on it is in flight, the panel shows the
            stored statuses.

    Attributes:
        capture: the capture shown, if any.
        image: the ``ImageView``.
        text: the ``OcrTextPanel``.
        indicators, details, history: the side panels.
        annotations: the notes and tags editor.
    """

    stepRequested = Signal(int)
    captureShown = Signal(int)
    imageShown = Signal(int)
    reviewed = Signal(int)

    def __init__(self, session: Session, ops: Operations, wellbeing: Wellbeing,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("viewer")
        self.setWindowTitle("Capture")
        self.resize(1200, 800)
        self._session = session
        self._reader = session.reader
        self._ops = ops
        self._wellbeing = wellbeing
        self._background = Background(1, self)
        self._original = QImage()
        self._override: QImage | None = None  # the redacted copy, when shown
        self._image_for: int | None = None
        self._in_flight: dict[int, int] = {}  # verdicts asked, not yet stored, per capture
        self.capture: Capture | None = None

        self.image = ImageView(self)
        self.text = OcrTextPanel(self)
        self.indicators = IndicatorsPanel(self)
        self.details = DetailsPanel(self)
        self.history = HistoryPanel(self)
        self.annotations = AnnotationPanel(ops, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.text, "&Text")
        self.tabs.addTab(self.indicators, "&Indicators")
        self.tabs.addTab(self.annotations, "&Notes && tags")
        self.tabs.addTab(self.details, "&Details")
        self.tabs.addTab(self.history, "&History")
        # Alt+I (a tab's mnemonic) puts the keys in the page shown: C, X, N… act at once.
        self.tabs.currentChanged.connect(self._focus_page)
        splitter = QSplitter(self)
        splitter.addWidget(self.image)
        splitter.addWidget(self.tabs)
        splitter.setSizes([700, 500])
        self.setCentralWidget(splitter)
        self.banner = QLabel(self)
        self.statusBar().addWidget(self.banner, 1)

        self.image.wordChosen.connect(self._word_chosen)
        self.indicators.captureOpened.connect(self.show_capture)
        self.indicators.boxChosen.connect(self.image.highlight)
        self.indicators.reviewRequested.connect(self._review)
        self.indicators.confirmAllRequested.connect(self._confirm_all)
        wellbeing.changed.connect(self._show_treated)
        self._build_actions()

    def _focus_page(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if page is None or not self.isActiveWindow():
            return
        target: QWidget | None = page
        while target is not None and not (target.focusPolicy() & Qt.FocusPolicy.TabFocus
                                          and target.isVisible()):
            target = target.nextInFocusChain()  # a form: its first field
            if target is page or (target is not None and not page.isAncestorOf(target)):
                return
        if target is not None:
            target.setFocus(Qt.FocusReason.TabFocusReason)

    # ----------------------------------------------------------------- actions
    def _action(self, text: str,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None, slot: object,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = QToolBar("Viewer", self)
        bar.setObjectName("viewerToolbar")
        self.addToolBar(bar)
        self.prev_action = self._action("Previous", "PgUp", lambda: emit(self.stepRequested, -1))
        self.next_action = self._action("Next", "PgDown", lambda: emit(self.stepRequested, 1))
        self.zoom_in_action = self._action("Zoom in", QKeySequence.StandardKey.ZoomIn,
                                           self.image.zoom_in)
        self.zoom_out_action = self._action("Zoom out", QKeySequence.StandardKey.ZoomOut,
                                            self.image.zoom_out)
        self.fit_action = self._action("Fit", "Ctrl+0", self.image.fit)
        self.actual_action = self._action("100 %", "Ctrl+1", self.image.actual_size)
        self.boxes_action = self._action("Word boxes", "B", self.image.set_boxes_visible,
                                         checkable=True)
        self.boxes_action.setChecked(True)
        self.reveal_action = self._action("Reveal image", "R", self._reveal, checkable=True)
        self.copy_action = self._action("Copy all text", "Ctrl+Shift+C", self._copy_text)
        self.close_action = self._action("Close", "Esc", self.close)
        for action in (self.prev_action, self.next_action, self.zoom_out_action,
                       self.zoom_in_action, self.fit_action, self.actual_action,
                       self.boxes_action, self.reveal_action, self.copy_action):
            bar.addAction(action)
        undo = self.annotations.undo_group.createUndoAction(self, "Undo")
        undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        redo = self.annotations.undo_group.createRedoAction(self, "Redo")
        redo.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        self.undo_action, self.redo_action = undo, redo
        for action in (undo, redo):
            self.addAction(action)
            bar.addAction(action)
        self.redaction = RedactionActions(self, self._session, self._ops, bar,  # Ctrl+Shift+D
                                          self._wellbeing)

    # ------------------------------------------------------------------ content
    def show_capture(self, capture_id: int) -> None:
        """Show ``capture_id`` (its image loads in the background)."""
        try:
            capture = self._reader.captures.get(capture_id)
        except WorkstationError as exc:
            self.banner.setText(message_for(exc))
            return
        new_image = self.capture is None or self.capture.id != capture_id
        self.capture = capture
        self.refresh()  # (sets the title, with the exhibit reference)
        if new_image:
            self._load_image(capture)
            self.redaction.capture_changed()
        self.reveal_action.setChecked(self._wellbeing.is_revealed(capture.id))

    def refresh(self) -> None:
        """Re-read everything but the image (after an edit or an OCR run)."""
        if self.capture is None:
            return
        cid = self.capture.id
        reader = self._reader
        try:
            capture = self.capture = reader.captures.get(cid)
            ref = reader.exhibits.ref_for(cid)
            self.setWindowTitle(f"Capture #{cid}" + (f" — exhibit {ref}" if ref else "")
                                + f" — {platform_label(capture.platform, 'unknown platform')}")
            run = reader.reading.current_ocr(cid)
            self.text.set_text(run.text if run else "")
            self.image.set_words(run.words if run else [])
            self.image.set_unread(run.unread if run else [])
            self.image.set_boxes_visible(self.boxes_action.isChecked())
            self._read_indicators(cid)
            self.details.set_data(capture, run, reader.reading.pdq_of(cid),
                                  trusted_time=trusted_text(reader.timestamps.for_capture(cid)))
            self.annotations.set_capture(capture)
        except WorkstationError as exc:
            self.banner.setText(message_for(exc))
            return
        self.banner.setText(_banner(run))
        emit(self.captureShown, cid)

    def _read_indicators(self, cid: int, statuses_only: bool = False) -> None:
        """Re-read the indicators panel and the history; after a verdict only the
        indicators' statuses (links and near-duplicates take a second at 100k captures)."""
        reading = self._reader.reading
        indicators = reading.indicators(cid)
        if not (statuses_only and self.indicators.set_statuses(indicators)):
            self.indicators.set_data(indicators, reading.links(cid),
                                     reading.similar(cid), reading.keyword_hits(cid))
        self.history.set_entries(self._reader.audit_entries(capture_id=cid))

    def _load_image(self, capture: Capture) -> None:
        self._original = QImage()
        self._override = None
        self._image_for = None
        captures = self._reader.captures
        session = self._session

        def load() -> tuple[int, QImage, bool]:
            # the original, checked against its SHA-256 (decrypted in an encrypted workspace)
            image = read_image(captures.original(capture), MAX_VIEW)
            if not image.isNull():
                return capture.id, image, False
            # A format Qt cannot decode (HEIC ...): show the thumbnail, scaled to the original.
            return capture.id, read_image(session.thumbnail(capture)), True

        def done(result: tuple[int, QImage, bool]) -> None:
            cid, image, stand_in = result
            if self.capture is None or cid != self.capture.id:
                return
            self._original = image
            self._image_for = cid
            if stand_in:
                self.banner.setText("This format cannot be shown at full size here; "
                                    "showing the thumbnail.")
            self._show_treated()
            emit(self.imageShown, cid)

        def failed(exc: BaseException) -> None:
            self.banner.setText(f"The image cannot be shown: {message_for(exc)}")

        self._background.call(load, done, failed)

    def _show_treated(self) -> None:
        if self.capture is None or self._image_for != self.capture.id:
            return
        mode = self._wellbeing.treatment(self.capture.id)
        if self._override is not None:  # the redacted copy: its own pixels, as shown
            self.image.set_image(treat(self._override, mode))
        else:
            self.image.set_image(treat(self._original, mode),
                                 (self.capture.width, self.capture.height))
        self.reveal_action.setChecked(mode == "off")

    def show_image_override(self, image: QImage | None) -> None:
        """Show ``image`` (the redacted copy) instead of the original; ``None``: the original."""
        self._override = image
        self._show_treated()

    @property
    def image_loaded(self) -> bool:
        return self.capture is not None and self._image_for == self.capture.id

    # ------------------------------------------------------------------ slots
    def _reveal(self, on: bool) -> None:
        if self.capture is not None:
            self._wellbeing.set_revealed(self.capture.id, on)

    def _review(self, verb: str, kind: str, normalized: str) -> None:
        """Record a verdict on the writer (``ws.review``), then show what is stored."""
        if self.capture is None:
            return
        cid = self.capture.id
        title = {"confirm": "Confirming", "reject": "Rejecting"}.get(verb, "Resetting")

        def run(ws: Workspace, _task: object) -> object:
            record = {"confirm": ws.review.confirm, "reject": ws.review.reject,
                      "reset": ws.review.reset}[verb]
            return record(cid, kind, normalized)

        self._ops.run(f"{title} {kind} {normalized}", run,
                      on_done=lambda _r: self._reviewed(cid),
                      on_error=lambda message: self._review_failed(cid, title, message))
        self._in_flight[cid] = self._in_flight.get(cid, 0) + 1

    def _confirm_all(self) -> None:
        if self.capture is None:
            return
        cid = self.capture.id
        self._ops.run("Confirming all indicators",
                      lambda ws, _task: ws.review.confirm_all(cid),
                      on_done=lambda _r: self._reviewed(cid),
                      on_error=lambda message: self._review_failed(cid, "Confirming", message))
        self._in_flight[cid] = self._in_flight.get(cid, 0) + 1

    def _reviewed(self, cid: int) -> None:
        """A verdict is stored (or refused): once none other on ``cid`` is in flight (C, C,
        C down the list), show the stored statuses; until then items show the verdicts asked."""
        left = self._in_flight[cid] = self._in_flight.get(cid, 1) - 1
        if left <= 0:
            self._in_flight.pop(cid, None)
        if left <= 0 and self.capture is not None and self.capture.id == cid:
            try:
                self._read_indicators(cid, statuses_only=True)
            except WorkstationError as exc:
                self.banner.setText(message_for(exc))
        emit(self.reviewed, cid)

    def _review_failed(self, cid: int, title: str, message: str) -> None:
        self._reviewed(cid)  # show what is really stored
        emit(self._ops.failed, title, message)

    def _word_chosen(self, word: str) -> None:
        self.text.find_word(word)
        self.statusBar().showMessage(f"Copied “{word}”", 3000)

    def _copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.statusBar().showMessage("Copied the OCR text", 3000)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.capture is not None:
            self.annotations.save_notes()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self._background.shutdown()
        self.redaction.shutdown()


def _banner(run: OcrRun | None) -> str:
    """The status line: what the reading covers (languages, share read, regions left
    unread, outlined in magenta), or that the capture has not been read."""
    if run is None:
        return "Not yet OCR'd — Ctrl+R in the main window."
    summary = reading_summary(run)
    if run.unread:
        summary += " (outlined in magenta on the image)"
    return summary
