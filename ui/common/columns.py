"""Table columns sized to their contents, the last one stretched to the table's width
but never cut: Qt's stretched last section shrinks to its default width (100 px)
when the other columns already fill the table, which cut "Median hours to action"
down to "dian hou".  Here the last column stretches only while its whole contents
fit; otherwise it keeps its contents' width and the table scrolls sideways.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QHeaderView, QTableView


class WholeColumns(QObject):
    """Keeps ``table``'s columns whole (see the module); made by :func:`keep_columns_whole`."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table
        self._pending = False
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.sectionResized.connect(self._section_resized)
        header.sectionCountChanged.connect(self.refit)
        model = table.model()
        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved,
                       model.modelReset, model.headerDataChanged, model.layoutChanged):
            signal.connect(self.refit)
        table.viewport().installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def _last(self) -> int:
        header = self._table.horizontalHeader()
        for visual in reversed(range(header.count())):
            logical = header.logicalIndex(visual)
            if not header.isSectionHidden(logical):
                return logical
        return -1

    def _section_resized(self, logical: int, _old: int, _new: int) -> None:
        if logical != self._last():  # the stretched one follows from the others
            self.refit()

    def refit(self, *_args: object) -> None:
        """Fit once the event loop is back (the contents change cell by cell)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self.fit)

    def fit(self) -> None:
        """Stretch the last column if its whole contents still fit, else size it to them."""
        self._pending = False
        header = self._table.horizontalHeader()
        last = self._last()
        if last < 0:
            return
        others = sum(header.sectionSize(i) for i in range(header.count())
                     if i != last and not header.isSectionHidden(i))
        needed = max(header.sectionSizeHint(last), self._table.sizeHintForColumn(last))
        stretch = others + needed <= self._table.viewport().width()
        if header.stretchLastSection() != stretch:
            header.setStretchLastSection(stretch)


def keep_columns_whole(table: QTableView) -> WholeColumns:
    """Size ``table``'s columns to their contents, the last one stretched while it
    fits (see the module); it keeps doing so as the contents and the width change."""
    return WholeColumns(table)


__all__ = ["WholeColumns", "keep_columns_whole"]
