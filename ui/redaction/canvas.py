"""The editor's picture: the image as shown (EXIF orientation applied) with the boxes to
fill drawn over it.  Drag on the image to draw a box; from the keyboard: N a new box at
the centre, arrows move the chosen box (Ctrl: 10 px steps), Shift+arrows resize it, Tab
chooses the next box (Shift+Tab the previous), Delete removes it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from ui.common.qtutil import emit
from workstation.redaction.model import Box

_MOVES = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
          Qt.Key.Key_Down: (0, 1)}


class BoxItem(QGraphicsRectItem):
    """One box to fill (image pixels), with its reason and where it came from."""

    def __init__(self, box: Box) -> None:
        super().__init__(QRectF(box.x, box.y, box.w, box.h))
        self.reason = box.reason
        self.source = box.source
        self.set_chosen(False)
        self.setZValue(10)

    def set_chosen(self, on: bool) -> None:
        pen = QPen(QColor(255, 200, 0) if on else QColor(255, 40, 40), 3 if on else 2)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(QBrush(QColor(0, 0, 0, 200 if on else 160)))

    def box(self) -> Box:
        r = self.rect()
        return Box(round(r.x()), round(r.y()), round(r.width()), round(r.height()),
                   self.reason, self.source)


class RedactionCanvas(QGraphicsView):
    """The image and its boxes.

    Signals:
        boxesChanged(): a box was added, moved, resized or removed.
        chosenChanged(int): the chosen box's index (-1: none).

    Attributes:
        box_items: the boxes, in the order they were added.
        chosen: the index of the chosen box, or -1.
    """

    boxesChanged = Signal()
    chosenChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("redactionCanvas")
        self.setAccessibleName("Image to redact")
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pixmap = QGraphicsPixmapItem()
        self.scene().addItem(self._pixmap)
        self.box_items: list[BoxItem] = []
        self.chosen = -1
        self.size_px = (0, 0)
        self.default_reason = "third-party face"
        self._drag_from: QPointF | None = None
        self._rubber = QGraphicsRectItem()
        pen = QPen(QColor(255, 200, 0), 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._rubber.setPen(pen)
        self._rubber.setVisible(False)
        self._rubber.setZValue(20)
        self.scene().addItem(self._rubber)

    # ------------------------------------------------------------------ content
    def set_image(self, image: QImage, *, fit: bool = True) -> None:
        """Show ``image``; ``fit=False`` keeps the zoom (the same image, revealed)."""
        self._pixmap.setPixmap(QPixmap.fromImage(image))
        self.size_px = (image.width(), image.height())
        self.scene().setSceneRect(QRectF(0, 0, image.width(), image.height()))
        if fit:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def boxes(self) -> list[Box]:
        return [item.box() for item in self.box_items]

    def add_box(self, box: Box) -> None:
        item = BoxItem(box)
        self.scene().addItem(item)
        self.box_items.append(item)
        self.choose(len(self.box_items) - 1)
        emit(self.boxesChanged)

    def remove_chosen(self) -> None:
        if not 0 <= self.chosen < len(self.box_items):
            return
        item = self.box_items.pop(self.chosen)
        self.scene().removeItem(item)
        self.choose(min(self.chosen, len(self.box_items) - 1))
        emit(self.boxesChanged)

    def choose(self, index: int) -> None:
        self.chosen = index if 0 <= index < len(self.box_items) else -1
        for n, item in enumerate(self.box_items):
            item.set_chosen(n == self.chosen)
        if self.chosen >= 0:
            self.ensureVisible(self.box_items[self.chosen])
        emit(self.chosenChanged, self.chosen)

    def set_reason(self, reason: str) -> None:
        if 0 <= self.chosen < len(self.box_items):
            self.box_items[self.chosen].reason = reason
            emit(self.boxesChanged)

    def new_box_at_centre(self) -> None:
        width, height = self.size_px
        if not width or not height:
            return
        w, h = max(1, width // 5), max(1, height // 10)
        self.add_box(Box((width - w) // 2, (height - h) // 2, w, h, self.default_reason))

    def nudge(self, dx: int, dy: int, *, resize: bool) -> None:
        """Move (or resize) the chosen box by ``dx, dy`` pixels, kept inside the image."""
        if not 0 <= self.chosen < len(self.box_items):
            return
        item = self.box_items[self.chosen]
        r = item.rect()
        width, height = self.size_px
        if resize:
            w = min(max(1.0, r.width() + dx), width - r.x())
            h = min(max(1.0, r.height() + dy), height - r.y())
            item.setRect(QRectF(r.x(), r.y(), w, h))
        else:
            x = min(max(0.0, r.x() + dx), width - r.width())
            y = min(max(0.0, r.y() + dy), height - r.height())
            item.setRect(QRectF(x, y, r.width(), r.height()))
        emit(self.boxesChanged)

    # ------------------------------------------------------------------- events
    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab cycles the boxes (keyPressEvent)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_N and not mods & Qt.KeyboardModifier.ControlModifier:
            self.new_box_at_centre()
        elif key in _MOVES:
            dx, dy = _MOVES[Qt.Key(key)]
            step = 10 if mods & Qt.KeyboardModifier.ControlModifier else 1
            self.nudge(dx * step, dy * step,
                       resize=bool(mods & Qt.KeyboardModifier.ShiftModifier))
        elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and self.box_items:
            back = key == Qt.Key.Key_Backtab or bool(mods & Qt.KeyboardModifier.ShiftModifier)
            self.choose((self.chosen + (-1 if back else 1)) % len(self.box_items))
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_chosen()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            point = self.mapToScene(event.position().toPoint())
            for n, item in enumerate(self.box_items):
                if item.rect().contains(point):
                    self.choose(n)
                    event.accept()
                    return
            self._drag_from = point
            self._rubber.setRect(QRectF(point, point))
            self._rubber.setVisible(True)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            point = self.mapToScene(event.position().toPoint())
            self._rubber.setRect(QRectF(self._drag_from, point).normalized())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and event.button() == Qt.MouseButton.LeftButton:
            rect = self._rubber.rect().intersected(self.scene().sceneRect())
            self._rubber.setVisible(False)
            self._drag_from = None
            if rect.width() >= 2 and rect.height() >= 2:
                self.add_box(Box(round(rect.x()), round(rect.y()), round(rect.width()),
                                 round(rect.height()), self.default_reason))
            event.accept()
            return
        super().mouseReleaseEvent(event)
