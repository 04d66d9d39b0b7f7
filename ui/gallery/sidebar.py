"""The left panel: saved filters (all, flagged, not yet OCR'd, by platform) and cases,
each with its count."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ui.common.qtutil import emit
from workstation.models import Capture, Case
from workstation.platforms import platform_label

FilterRole = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class CaptureFilter:
    """What the gallery shows: ``kind`` is ``all``, ``flagged``, ``pending``,
    ``platform`` (``value`` = platform), ``case`` (``value`` = case id as text) or
    ``search`` (``value`` = the query)."""

    kind: str = "all"
    value: str = ""


class Sidebar(QTreeWidget):
    """Saved filters and cases with counts.

    Signals:
        filterChosen(CaptureFilter): the analyst picked a filter.
    """

    filterChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAccessibleName("Filters")
        self.setAccessibleDescription("Show the captures of a case, platform or state")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setMinimumWidth(180)
        self._filters = QTreeWidgetItem(self, ["Filters"])
        self._cases = QTreeWidgetItem(self, ["Cases"])
        for top in (self._filters, self._cases):
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
        self._current = CaptureFilter()
        self.currentItemChanged.connect(self._changed)

    def update_counts(self, captures: list[Capture], cases: list[Case],
                      flagged: int, pending: int, unsent: int | None = None) -> None:
        """Rebuild the entries with fresh counts, keeping the current choice."""
        keep = self._current
        self.blockSignals(True)
        try:
            for top in (self._filters, self._cases):
                top.takeChildren()
            self._add(self._filters, f"All captures ({len(captures)})", CaptureFilter())
            self._add(self._filters, f"Flagged ({flagged})", CaptureFilter("flagged"))
            self._add(self._filters, f"Not yet OCR'd ({pending})", CaptureFilter("pending"))
            if unsent is not None:
                self._add(self._filters, f"Not yet sent ({unsent})", CaptureFilter("unsent"))
            platforms = Counter(c.platform for c in captures if c.platform)
            for name, count in sorted(platforms.items()):
                self._add(self._filters, f"{platform_label(name)} ({count})",
                          CaptureFilter("platform", name))
            for case in cases:
                closed = " — closed" if case.status == "closed" else ""
                self._add(self._cases, f"{case.name} ({case.capture_count}){closed}",
                          CaptureFilter("case", str(case.id)))
            self.expandAll()
            self._select(keep)
        finally:
            self.blockSignals(False)

    def _add(self, parent: QTreeWidgetItem, label: str, what: CaptureFilter) -> None:
        item = QTreeWidgetItem(parent, [label])
        item.setData(0, FilterRole, what)

    def _select(self, what: CaptureFilter) -> None:
        for top in (self._filters, self._cases):
            for i in range(top.childCount()):
                item = top.child(i)
                if item is not None and item.data(0, FilterRole) == what:
                    self.setCurrentItem(item)
                    return
        self.clearSelection()

    def show_choice(self, what: CaptureFilter | None) -> None:
        """Highlight ``what`` (nothing for ``None``) without announcing a choice."""
        self.blockSignals(True)
        try:
            if what is None:
                self.setCurrentIndex(QModelIndex())
                self.clearSelection()
            else:
                self._select(what)
        finally:
            self.blockSignals(False)

    def choose(self, what: CaptureFilter) -> None:
        """Select ``what`` (emits ``filterChosen`` when it changes)."""
        self._current = what
        self._select(what)
        emit(self.filterChosen, what)

    def entries(self) -> list[str]:
        """The labels shown (tests, accessibility)."""
        return [item.text(0) for top in (self._filters, self._cases)
                for item in (top.child(i) for i in range(top.childCount())) if item is not None]

    @property
    def current(self) -> CaptureFilter:
        return self._current

    def _changed(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        what = item.data(0, FilterRole) if item is not None else None
        if isinstance(what, CaptureFilter) and what != self._current:
            self._current = what
            emit(self.filterChosen, what)
