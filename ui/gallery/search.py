"""Search results: hits from ``ws.reading.search`` with their highlighted snippets.

The core marks matches in a snippet with ``[`` and ``]`` (a bracket in the text
itself comes as a fullwidth ``［``/``］``, so the marks are unambiguous); they are
shown as highlighted text (the snippet is HTML-escaped first).  Snippets are the
words as read (not the folded index text) and may be Arabic or Persian, so each is
laid out with automatic direction.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QPainter,
    QPalette,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ui.common.qtutil import emit
from workstation.reading.service import SearchHit

HtmlRole = Qt.ItemDataRole.UserRole + 1
HitIdRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


def snippet_html(snippet: str, highlight: str = "#ffe066") -> str:
    """The snippet as HTML with ``[``…``]`` marks turned into highlighted bold text."""
    escaped = html.escape(" ".join(snippet.split()))
    return (escaped.replace("[", f'<b style="background-color:{highlight};color:black">')
            .replace("]", "</b>"))


def snippet_text(snippet: str) -> str:
    """The snippet as plain text (marks removed)."""
    return " ".join(snippet.replace("[", "").replace("]", "").split())


class SearchHitsModel(QAbstractListModel):
    """The hits of the last search, best first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hits: list[SearchHit] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"#{hit.capture_id}  {snippet_text(hit.snippet)}"
        if role == HtmlRole:
            return f"<b>#{hit.capture_id}</b>&nbsp;&nbsp;{snippet_html(hit.snippet)}"
        if role == HitIdRole:
            return hit.capture_id
        return None

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.endResetModel()


class HtmlDelegate(QStyledItemDelegate):
    """Paints an item's ``HtmlRole`` as rich text (one line, direction from its text)."""

    def _document(self, option: QStyleOptionViewItem, index: Index) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        text_option = QTextOption()
        text_option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
        text_option.setWrapMode(QTextOption.WrapMode.WordWrap)
        doc.setDefaultTextOption(text_option)
        doc.setHtml(str(index.data(HtmlRole) or ""))
        doc.setTextWidth(max(100, option.rect.width() - 8))
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        rect = option.rect
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, option.palette.highlight())
        doc = self._document(option, index)
        painter.translate(rect.x() + 4, rect.y() + 2)
        context = QAbstractTextDocumentLayout.PaintContext()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text,
                                 option.palette.color(role))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 4)


class SearchPanel(QWidget):
    """The list of hits for the current search.

    Signals:
        hitChosen(int): the analyst picked a hit (capture id); Enter/double-click opens it.
        hitOpened(int): the analyst activated a hit.

    Attributes:
        model: the ``SearchHitsModel``.
        list: the ``QListView`` showing it.
    """

    hitChosen = Signal(int)
    hitOpened = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self.model = SearchHitsModel(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("searchSummary")
        self.list = QListView(self)
        self.list.setObjectName("searchHits")
        self.list.setModel(self.model)
        self.list.setItemDelegate(HtmlDelegate(self.list))
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.list.activated.connect(lambda index: emit(self.hitOpened, index.data(HitIdRole)))

    def _current_changed(self, index: QModelIndex, _previous: QModelIndex) -> None:
        if index.isValid():
            emit(self.hitChosen, index.data(HitIdRole))

    def show_hits(self, query: str, hits: list[SearchHit]) -> None:
        self.model.set_hits(hits)
        if hits:
            self.summary.setText(f"{len(hits)} capture(s) match “{query}”")
        else:
            self.summary.setText(f"Nothing matches “{query}”")

    def clear(self) -> None:
        self.model.set_hits([])
        self.summary.clear()
