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
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
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
    FlagRole,
    GroupRole,
    IdRole,
    PendingRole,
    ThumbRole,
    TileRole,
)
from ui.gallery.thumbnails import THUMB_SIZE
from ui.gallery.tiles import PLATFORM_COLOURS, STATE_COLOURS, Tile

#: A tile's lines of text under its thumbnail.
TEXT_LINES = 4
#: The widest a table column grows when sized to its content (pixels).
MAX_COLUMN_WIDTH = 320


def cell_size(metrics: QFontMetrics, grouped: bool = False) -> QSize:
    """The size of one tile: the thumbnail, four lines of text, and a caption strip
    above it when the gallery shows groups."""
    line = metrics.height() + 2
    width = max(THUMB_SIZE.width() + 24, metrics.averageCharWidth() * 28)
    height = 6 + THUMB_SIZE.height() + 6 + TEXT_LINES * line + 8
    return QSize(width, height + (line + 6 if grouped else 0))



def _dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def _chip(painter: QPainter, rect: QRect, colour: str, text: str) -> None:
    """A rounded rectangle of ``colour`` with ``text`` in white (badges and chips)."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(rect, 4, 4)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class GalleryDelegate(QStyledItemDelegate):
    """Paints one capture from its precomputed :class:`~ui.gallery.tiles.Tile`: the
    thumbnail (or a placeholder while it loads) with a flag and an OCR-pending badge,
    then the platform's mark and the handle, the capture time and exhibit reference,
    the first words read, and the flag reasons with the pack state's chip.  Shown in
    groups, the first tile of each group carries the group's caption.

    Attributes:
        grouped: leave room for group captions above the tiles.
    """

    grouped = False

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return cell_size(option.fontMetrics, self.grouped)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        tile = index.data(TileRole)
        if not isinstance(tile, Tile):
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        line = option.fontMetrics.height() + 2
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = rect.y()
        if self.grouped:
            self._caption(painter, option, index, QRect(rect.x() + 4, top, rect.width() - 8,
                                                        line + 4))
            top += line + 6
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(QRect(rect.x() + 2, top + 2, rect.width() - 4,
                                   rect.bottom() - top - 3), palette.highlight())
        box = QRect(rect.x() + (rect.width() - THUMB_SIZE.width()) // 2, top + 6,
                    THUMB_SIZE.width(), THUMB_SIZE.height())
        painter.setFont(option.font)
        self._thumbnail(painter, palette, index, box)
        text = palette.color(QPalette.ColorRole.HighlightedText if selected
                             else QPalette.ColorRole.Text)
        area = QRect(rect.x() + 6, box.bottom() + 6, rect.width() - 12, line)
        self._lines(painter, option, tile, area, text, selected)
        painter.restore()

    def _caption(self, painter: QPainter, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex, rect: QRect) -> None:
        caption = index.data(GroupRole)
        row = index.row()
        model = index.model()
        previous = model.index(row - 1, 0, index.parent()) if row > 0 else QModelIndex()
        if not caption or (previous.isValid() and previous.data(GroupRole) == caption):
            return
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(font).elidedText(str(caption), Qt.TextElideMode.ElideRight,
                                                       rect.width()))
        painter.fillRect(QRect(rect.x(), rect.bottom(), rect.width(), 2),
                         option.palette.color(QPalette.ColorRole.Highlight))

    @staticmethod
    def _thumbnail(painter: QPainter, palette: QPalette,
                   index: QModelIndex | QPersistentModelIndex, box: QRect) -> None:
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
            badge = QRect(box.x(), box.y(), painter.fontMetrics().horizontalAdvance("OCR…") + 10,
                          18)
            painter.fillRect(badge, QColor(90, 90, 90, 200))
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "OCR…")

    @staticmethod
    def _lines(painter: QPainter, option: QStyleOptionViewItem, tile: Tile, area: QRect,
               text: QColor, selected: bool) -> None:
        font = QFont(option.font)
        metrics = QFontMetrics(font)
        small = QFont(option.font)
        small.setBold(True)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        small_metrics = QFontMetrics(small)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elide = Qt.TextElideMode.ElideRight

        # 1: the platform's mark, then the handle (or the platform's name)
        painter.setFont(small)
        mark_width = max(small_metrics.horizontalAdvance(tile.mark) + 8, area.height())
        _chip(painter, QRect(area.x(), area.y() + 1, mark_width, area.height() - 2),
              PLATFORM_COLOURS.get(tile.platform, PLATFORM_COLOURS["other"]), tile.mark)
        painter.setFont(font)
        painter.setPen(text)
        rest = area.adjusted(mark_width + 6, 0, 0, 0)
        painter.drawText(rest, left, metrics.elidedText(tile.handle or tile.platform_name,
                                                        elide, rest.width()))
        # 2: when, exhibit; 3: the first words read
        area.translate(0, area.height())
        painter.drawText(area, left, metrics.elidedText(tile.lines[1], elide, area.width()))
        area.translate(0, area.height())
        words_font = QFont(font)
        words_font.setItalic(not tile.read)
        painter.setFont(words_font)
        painter.drawText(area, left, QFontMetrics(words_font).elidedText(tile.words, elide,
                                                                         area.width()))
        # 4: the flag reasons, and the pack state's chip on the right
        area.translate(0, area.height())
        painter.setFont(small)
        chip_width = min(small_metrics.horizontalAdvance(tile.state_label) + 10,
                         area.width() * 2 // 3)
        chip = QRect(area.right() - chip_width + 1, area.y() + 1, chip_width, area.height() - 2)
        _chip(painter, chip, STATE_COLOURS.get(tile.state, STATE_COLOURS["not_sent"]),
              small_metrics.elidedText(tile.state_label, elide, chip_width - 6))
        if tile.reasons:
            painter.setFont(font)
            warn = text if selected else QColor("#ff8a80" if _dark(option.palette)
                                                 else "#a4161a")
            painter.setPen(warn)
            reasons = area.adjusted(0, 0, -chip_width - 6, 0)
            painter.drawText(reasons, left, metrics.elidedText(tile.reasons, elide,
                                                               reasons.width()))


class GalleryView(QListView):
    """Thumbnails in a grid (icon mode, uniform sizes, batched layout)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setAccessibleName("Captures")
        self.setAccessibleDescription("The captures as tiles; Enter opens the current one")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSpacing(0)
        self.setWrapping(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tiles = GalleryDelegate(self)
        self.setItemDelegate(self.tiles)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.set_grouped(False)

    def set_grouped(self, on: bool) -> None:
        """Leave room above every tile for the caption of the group it starts."""
        self.tiles.grouped = on
        cell = cell_size(self.fontMetrics(), on)
        self.setGridSize(cell)
        self.verticalScrollBar().setSingleStep(cell.height() // 3)
        self.scheduleDelayedItemsLayout()
        self.viewport().update()


class CaptureTable(QTableView):
    """Every column, sortable by clicking its header."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("captureTable")
        self.setAccessibleName("Captures")
        self.setAccessibleDescription("The captures as a table; Enter opens the current one")
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
        header.setResizeContentsPrecision(200)  # rows looked at when sizing to content
        for column, width in enumerate((60, 130, 80, 120, 120, 140, 70, 70, 220)):
            self.setColumnWidth(column, width)

    def size_columns(self) -> None:
        """Every column as wide as its content and header, at most MAX_COLUMN_WIDTH."""
        model = self.model()
        if model is None:
            return
        self.resizeColumnsToContents()
        for column in range(model.columnCount()):
            if self.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.setColumnWidth(column, MAX_COLUMN_WIDTH)


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
        proxy.modelReset.connect(self.table.size_columns)
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
        if view is self.table and self.currentWidget() is not self.table:
            self.table.size_columns()
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
