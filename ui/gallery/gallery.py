"""The evidence gallery (thumbnails) and its table alternative, over one proxy model.

The gallery is a ``QListView`` in icon mode with uniform item sizes and a
painting delegate — no widget per item — so 10,000 captures scroll smoothly;
only painted items ask for their thumbnail.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ui.common.qtutil import emit
from ui.gallery.capturemodel import (
    CaptureProxy,
    CaptureRole,
    FlagRole,
    IdRole,
    PendingRole,
    ThumbRole,
)
from ui.gallery.thumbnails import THUMB_SIZE

CELL = QSize(THUMB_SIZE.width() + 20, THUMB_SIZE.height() + 44)


class GalleryDelegate(QStyledItemDelegate):
    """Paints one capture: thumbnail (or a placeholder while it loads), a flag and an
    OCR-pending badge, and a caption."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        capture = index.data(CaptureRole)
        if capture is None:
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(rect.adjusted(2, 2, -2, -2), palette.highlight())
        box = QRect(rect.x() + (rect.width() - THUMB_SIZE.width()) // 2, rect.y() + 8,
                    THUMB_SIZE.width(), THUMB_SIZE.height())
        pixmap = index.data(ThumbRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.deviceIndependentSize().toSize().scaled(
                box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(box.x() + (box.width() - size.width()) // 2,
                           box.y() + (box.height() - size.height()) // 2,
                           size.width(), size.height())
            painter.drawPixmap(target, pixmap)
        else:
            painter.fillRect(box.adjusted(20, 0, -20, 0), palette.alternateBase())
        if index.data(FlagRole):
            badge = QRect(box.right() - 34, box.y(), 34, 18)
            painter.fillRect(badge, QColor(200, 30, 30))
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "flag")
        if index.data(PendingRole):
            badge = QRect(box.x(), box.y(), 40, 18)
            painter.fillRect(badge, QColor(90, 90, 90, 200))
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "OCR…")
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected
                                     else QPalette.ColorRole.Text))
        caption = f"#{capture.id}  {capture.platform or ''}"
        if capture.handle:
            caption += f"  @{capture.handle}"
        text_rect = QRect(rect.x() + 4, box.bottom() + 6, rect.width() - 8, 18)
        font = QFont(option.font)
        painter.setFont(font)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter,
                         painter.fontMetrics().elidedText(caption, Qt.TextElideMode.ElideRight,
                                                          text_rect.width()))
        painter.restore()


class GalleryView(QListView):
    """Thumbnails in a grid (icon mode, uniform sizes, batched layout)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setGridSize(CELL)
        self.setSpacing(0)
        self.setWrapping(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setItemDelegate(GalleryDelegate(self))
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(CELL.height() // 3)


class CaptureTable(QTableView):
    """Every column, sortable by clicking its header."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("captureTable")
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        for column, width in enumerate((60, 130, 80, 120, 120, 140, 70, 70, 220)):
            self.setColumnWidth(column, width)


class CaptureViews(QStackedWidget):
    """The gallery and the table, sharing one model and one selection.

    Signals:
        opened(int): a capture was activated (Enter, double-click).
        selectionChanged(): the selected captures changed.

    Attributes:
        gallery: the ``GalleryView``.
        table: the ``CaptureTable``.
    """

    opened = Signal(int)
    selectionChanged = Signal()

    def __init__(self, proxy: CaptureProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.gallery = GalleryView(self)
        self.table = CaptureTable(self)
        self.gallery.setModel(proxy)
        self.table.setModel(proxy)
        self.table.setSelectionModel(self.gallery.selectionModel())
        self.addWidget(self.gallery)
        self.addWidget(self.table)
        for view in (self.gallery, self.table):
            view.activated.connect(self._activated)
            view.doubleClicked.connect(self._activated)
        self.gallery.selectionModel().selectionChanged.connect(
            lambda *_: emit(self.selectionChanged))

    @property
    def mode(self) -> str:
        return "table" if self.currentWidget() is self.table else "gallery"

    def set_mode(self, mode: str) -> None:
        view = self.table if mode == "table" else self.gallery
        current_widget = self.currentWidget()
        had_focus = current_widget is not None and current_widget.hasFocus()
        self.setCurrentWidget(view)
        current = self.gallery.selectionModel().currentIndex()
        if current.isValid():
            view.scrollTo(current)
        if had_focus:
            view.setFocus()

    def current_view(self) -> QAbstractItemView:
        view = self.currentWidget()
        assert isinstance(view, QAbstractItemView)
        return view

    def _activated(self, index: QModelIndex) -> None:
        capture_id = index.data(IdRole)
        if capture_id is not None:
            emit(self.opened, int(capture_id))

    def selected_ids(self) -> list[int]:
        rows = self.gallery.selectionModel().selectedRows(0)
        if not rows:
            rows = [i for i in self.gallery.selectionModel().selectedIndexes() if i.column() == 0]
        return [int(i.data(IdRole)) for i in rows]

    def current_id(self) -> int | None:
        index = self.gallery.selectionModel().currentIndex()
        value = index.data(IdRole) if index.isValid() else None
        return None if value is None else int(value)

    def select(self, capture_id: int) -> bool:
        """Make ``capture_id`` current and selected (if it passes the filter)."""
        source = self.proxy.source()
        row = source.row_of(capture_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(source.index(row, 0))
        if not index.isValid():
            return False
        self.gallery.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.current_view().scrollTo(index)
        return True
