"""Zoomable, pannable image with the OCR word boxes drawn over it.

Ctrl+wheel or +/- zoom around the cursor, 0 fits the image, 1 shows it at
100 %; dragging pans.  Word boxes (image pixel coordinates, as the core
stores them) are shown or hidden together; clicking one selects it and
copies its text to the clipboard.  Regions where the page has ink that OCR could
not read are outlined in magenta, always, so nobody mistakes the text for the
whole advert.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsItemGroup,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from ui.common.qtutil import emit

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.05, 16.0
LOW_CONFIDENCE = 60.0
#: the colour of regions left unread (distinct from the blue and orange word boxes)
UNREAD_COLOUR = QColor(220, 0, 160)
UNREAD_TIP = ("Not read: the page has text or ink here that OCR could not read. "
              "Read it from the image; it is not in the text, the search or the indicators.")


class WordBox(QGraphicsRectItem):
    """One OCR word's box.

    Attributes:
        word: the word's dict from the OCR run (``text``, ``bbox``, ``confidence`` ...).
    """

    def __init__(self, word: dict[str, Any], parent: QGraphicsItem | None = None) -> None:
        x, y, w, h = (float(v) for v in word["bbox"])
        super().__init__(QRectF(x, y, w, h), parent)
        self.word = word
        confidence = float(word.get("confidence") or 0)
        colour = QColor(0, 160, 255) if confidence >= LOW_CONFIDENCE else QColor(255, 140, 0)
        pen = QPen(colour, 1.5)
        pen.setCosmetic(True)
        self.setPen(pen)
        self._normal = QBrush(Qt.BrushStyle.NoBrush)
        self._selected = QBrush(QColor(colour.red(), colour.green(), colour.blue(), 80))
        self.setToolTip(f"{word.get('text', '')} — confidence {confidence:.0f}")

    @property
    def text(self) -> str:
        return str(self.word.get("text", ""))

    def set_chosen(self, on: bool) -> None:
        self.setBrush(self._selected if on else self._normal)


class UnreadRegion(QGraphicsRectItem):
    """A region of the image with ink that OCR could not read (dashed magenta).

    Attributes:
        box: ``(x, y, w, h)`` in image pixels.
    """

    def __init__(self, box: tuple[int, int, int, int]) -> None:
        x, y, w, h = (float(v) for v in box)
        super().__init__(QRectF(x, y, w, h))
        self.box = box
        pen = QPen(UNREAD_COLOUR, 2.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(QBrush(QColor(UNREAD_COLOUR.red(), UNREAD_COLOUR.green(),
                                    UNREAD_COLOUR.blue(), 45)))
        self.setZValue(5)
        self.setToolTip(UNREAD_TIP)


class ImageView(QGraphicsView):
    """The image, zoom and pan, and the word boxes.

    Signals:
        wordChosen(str): a word box was clicked (its text is now on the clipboard).
        zoomChanged(float): the scale changed (1.0 = 100 %).

    Attributes:
        boxes: the ``WordBox`` items of the current image.
        unread: the ``UnreadRegion`` items of the current OCR run.
        chosen: the last clicked box, if any.
        highlight_item: the outline of the indicator chosen in the side panel.
    """

    wordChosen = Signal(str)
    zoomChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageView")
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._pixmap)
        self._group = QGraphicsItemGroup()
        self._group.setHandlesChildEvents(False)
        self.scene().addItem(self._group)
        self.boxes: list[WordBox] = []
        self.unread: list[UnreadRegion] = []
        self.chosen: WordBox | None = None
        self._fit = True
        pen = QPen(QColor(255, 60, 0), 3)
        pen.setCosmetic(True)
        self.highlight_item = QGraphicsRectItem()
        self.highlight_item.setPen(pen)
        self.highlight_item.setBrush(QBrush(QColor(255, 200, 0, 70)))
        self.highlight_item.setZValue(10)
        self.highlight_item.setVisible(False)
        self.scene().addItem(self.highlight_item)

    # ------------------------------------------------------------------ content
    def set_image(self, image: QImage, size: tuple[int, int] | None = None) -> None:
        """Show ``image``; ``size`` is the original's size in pixels when ``image`` is a
        smaller stand-in (boxes are in original pixels)."""
        pixmap = QPixmap.fromImage(image)
        self._pixmap.setPixmap(pixmap)
        width, height = size or (pixmap.width(), pixmap.height())
        if pixmap.width() and width != pixmap.width():
            self._pixmap.setScale(width / pixmap.width())
        else:
            self._pixmap.setScale(1.0)
        self.scene().setSceneRect(QRectF(0, 0, width, height))
        if self._fit:
            self.fit()

    def set_words(self, words: list[dict[str, Any]]) -> None:
        """Replace the word boxes (hidden or shown as before)."""
        for box in self.boxes:
            self._group.removeFromGroup(box)
            self.scene().removeItem(box)
        self.chosen = None
        self.boxes = []
        self.highlight_item.setVisible(False)
        for word in words:
            bbox = word.get("bbox")
            if not word.get("text") or not bbox or len(bbox) != 4:
                continue
            box = WordBox(word)
            self._group.addToGroup(box)
            self.boxes.append(box)

    def set_unread(self, regions: list[Any]) -> None:
        """Replace the outlines of the regions left unread (``[x, y, w, h]`` each)."""
        for item in self.unread:
            self.scene().removeItem(item)
        self.unread = []
        for region in regions:
            if not region or len(region) != 4:
                continue
            item = UnreadRegion((int(region[0]), int(region[1]), int(region[2]),
                                 int(region[3])))
            self.scene().addItem(item)
            self.unread.append(item)

    def highlight(self, box: tuple[int, int, int, int] | list[int] | None) -> None:
        """Outline where an indicator was read (``None`` hides the outline)."""
        if not box or len(box) != 4:
            self.highlight_item.setVisible(False)
            return
        x, y, w, h = (float(v) for v in box)
        self.highlight_item.setRect(QRectF(x - 4, y - 4, w + 8, h + 8))
        self.highlight_item.setVisible(True)
        self.ensureVisible(self.highlight_item)

    def set_boxes_visible(self, on: bool) -> None:
        self._group.setVisible(on)

    @property
    def boxes_visible(self) -> bool:
        return self._group.isVisible()

    def choose(self, box: WordBox) -> None:
        """Select ``box`` and copy its text."""
        if self.chosen is not None:
            self.chosen.set_chosen(False)
        self.chosen = box
        box.set_chosen(True)
        QGuiApplication.clipboard().setText(box.text)
        emit(self.wordChosen, box.text)

    # --------------------------------------------------------------------- zoom
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        current = self.zoom
        if current > 0:
            self.scale(factor / current, factor / current)
        self._fit = False
        emit(self.zoomChanged, self.zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def fit(self) -> None:
        """Fit the whole image in the view (and keep fitting on resize)."""
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fit = True
        emit(self.zoomChanged, self.zoom)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    # ------------------------------------------------------------------- events
    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.set_zoom(self.zoom * ZOOM_STEP ** steps)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._group.isVisible():
            for item in self.items(event.position().toPoint()):
                if isinstance(item, WordBox):
                    self.choose(item)
                    event.accept()
                    return
        super().mousePressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()
