"""The viewer's indicators panel: what was read from the capture, whether the analyst
has confirmed it, and the other captures sharing it; then near-duplicates and keyword
hits.

What OCR reads is *found* until the analyst confirms or rejects it (packs carry only
confirmed indicators), so the panel is built for a quick keyboard pass: ``C`` confirms,
``X`` rejects, ``U`` withdraws the verdict, ``N`` goes to the next one not yet
reviewed, ``J``/``K`` (or Down/Up) move.  A verdict asks the viewer to record it
(``reviewRequested``); the item shows it at once and the cursor moves on, and the
viewer re-reads the stored statuses (only those) once the writer has committed it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QKeySequence
from PySide6.QtWidgets import QApplication, QTreeWidget, QTreeWidgetItem, QWidget

from ui.common.qtutil import emit
from ui.common.theme import status_colour
from workstation.platforms import platform_label
from workstation.reading.service import IndicatorRecord, Link, SimilarImage

LinkRole = Qt.ItemDataRole.UserRole + 1
BoxRole = Qt.ItemDataRole.UserRole + 2
KeyRole = Qt.ItemDataRole.UserRole + 3  # (kind, normalized) of an indicator's item
StatusRole = Qt.ItemDataRole.UserRole + 4

COLUMNS = ["Indicator", "Status", "Platform", "Look again because", "Source"]
STATUS_COLUMN = 1
#: how each status is shown (found: still to review); its colour: theme.status_colour
STATUS_TEXT = {"found": "found — to review", "confirmed": "confirmed", "rejected": "rejected"}
#: what ``reviewRequested`` asks for
VERBS = ("confirm", "reject", "reset")


def _bold(item: QTreeWidgetItem) -> QTreeWidgetItem:
    font = item.font(0)
    font.setBold(True)
    item.setFont(0, font)
    return item


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    found = (item.child(i) for i in range(item.childCount()))
    return [child for child in found if child is not None]


class IndicatorsPanel(QTreeWidget):
    """Indicators found in the capture, with their review status; under each, the other
    captures sharing it.

    Signals:
        captureOpened(int): the analyst activated a linked capture.
        boxChosen(object): the ``(x, y, w, h)`` where the chosen indicator was read
            (``None`` when it has no box: found in notes or metadata).
        reviewRequested(str, str, str): the analyst gave a verdict — ``confirm``,
            ``reject`` or ``reset`` — on the indicator (kind, normalised value).
        confirmAllRequested(): confirm every indicator still to review.

    Attributes:
        confirm_action, reject_action, reset_action, next_action, down_action, up_action,
        confirm_all_action: the keyboard flow, also in the context menu.
    """

    captureOpened = Signal(int)
    boxChosen = Signal(object)
    reviewRequested = Signal(str, str, str)
    confirmAllRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("indicators")
        self.setAccessibleName("Indicators")
        self.setAccessibleDescription(
            "Indicators read from the capture. C confirms, X rejects, U resets, "
            "N goes to the next one to review, J and K move down and up.")
        self.setHeaderLabels(COLUMNS)
        self.setColumnWidth(0, 240)
        self.setColumnWidth(STATUS_COLUMN, 120)
        self._found_item: QTreeWidgetItem | None = None
        self.itemActivated.connect(self._activated)
        self.currentItemChanged.connect(self._current_changed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._build_actions()

    def _action(self, text: str, key: str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.confirm_action = self._action("&Confirm (checked against the image)", "C",
                                           lambda: self.review_current("confirm"))
        self.reject_action = self._action("Re&ject (a misreading)", "X",
                                          lambda: self.review_current("reject"))
        self.reset_action = self._action("&Undo the verdict (back to found)", "U",
                                         lambda: self.review_current("reset"))
        self.next_action = self._action("&Next to review", "N", self.next_pending)
        self.down_action = self._action("Next indicator", "J", lambda: self.step(1))
        self.up_action = self._action("Previous indicator", "K", lambda: self.step(-1))
        self.confirm_all_action = QAction("Confirm &all still to review", self)
        self.confirm_all_action.triggered.connect(lambda: emit(self.confirmAllRequested))
        self.addAction(self.confirm_all_action)

    # ------------------------------------------------------------------ content
    def set_data(self, indicators: list[IndicatorRecord], links: list[Link],
                 similar: list[SimilarImage], keywords: list[dict[str, Any]]) -> None:
        """Show the capture's indicators (one per kind and value), keeping the current
        one current (a verdict re-reads the panel while the analyst moves on)."""
        current = self.current_key()
        self.clear()
        sharing: dict[tuple[str, str], list[int]] = {}
        for link in links:
            for shared in link.shared:
                sharing.setdefault((shared["kind"], shared["normalized"]), []).append(
                    link.capture_id)
        records = _one_per_key(indicators)
        pending = sum(1 for r in records if r.status == "found")
        found = self._found_item = _bold(QTreeWidgetItem(
            self, [f"Indicators ({len(records)}, {pending} to review)"]))
        for ind in records:
            item = self._indicator_item(found, ind, sharing.get((ind.kind, ind.normalized), []))
            if (ind.kind, ind.normalized) == current:
                self.setCurrentItem(item)
        near = _bold(QTreeWidgetItem(self, [f"Reposts and near-duplicates ({len(similar)})"]))
        for sim in similar:
            child = QTreeWidgetItem(near, [f"→ capture #{sim.capture_id}", sim.why])
            child.setData(0, LinkRole, sim.capture_id)
        words = _bold(QTreeWidgetItem(self, [f"Keyword hits ({len(keywords)})"]))
        for hit in keywords:
            QTreeWidgetItem(words, [f"{hit.get('term', '')} ({hit.get('category', '')}, "
                                    f"{hit.get('language', '')})", "", "", "",
                                    str(hit.get("source", ""))])
        self.expandAll()

    def set_statuses(self, indicators: list[IndicatorRecord]) -> bool:
        """After a verdict: show each indicator's stored status in place, leaving the
        links, near-duplicates, keyword hits, the current item and the focus as they are
        (re-reading those costs a second on a large workspace).  ``False``, changing
        nothing, when the indicators themselves are not the ones shown (call
        :meth:`set_data`)."""
        stored = {(r.kind, r.normalized): r.status for r in _one_per_key(indicators)}
        items = self.indicator_items()
        keys = [tuple(item.data(0, KeyRole)) for item in items]
        if self._found_item is None or len(keys) != len(stored) or set(keys) != set(stored):
            return False
        for item, key in zip(items, keys, strict=True):
            if item.data(0, StatusRole) != stored[key]:
                self._show_status(item, stored[key])
        pending = sum(1 for status in stored.values() if status == "found")
        self._found_item.setText(0, f"Indicators ({len(stored)}, {pending} to review)")
        return True

    def _indicator_item(self, parent: QTreeWidgetItem, ind: IndicatorRecord,
                        others: list[int]) -> QTreeWidgetItem:
        label = f"{ind.kind}: {ind.value}"
        if others:
            label += f"  — shared with {len(others)} other capture(s)"
        item = QTreeWidgetItem(parent, [label, "", platform_label(ind.platform),
                                        ind.attention or "", ind.source])
        item.setData(0, KeyRole, (ind.kind, ind.normalized))
        item.setData(0, BoxRole, ind.box)
        confidence = "" if ind.confidence is None else f"; read with confidence " \
                                                       f"{ind.confidence:.0f}"
        item.setToolTip(0, f"normalised: {ind.normalized}{confidence}")
        if ind.attention:
            item.setToolTip(3, ind.attention)
        self._show_status(item, ind.status)
        for other in sorted(others):
            child = QTreeWidgetItem(item, [f"→ capture #{other}", ""])
            child.setData(0, LinkRole, other)
        return item

    @staticmethod
    def _show_status(item: QTreeWidgetItem, status: str) -> None:
        item.setData(0, StatusRole, status)
        item.setText(STATUS_COLUMN, STATUS_TEXT.get(status, status))
        item.setForeground(STATUS_COLUMN, QBrush(status_colour(status, QApplication.palette())))
        font = item.font(0)
        font.setStrikeOut(status == "rejected")
        item.setFont(0, font)
        why = f", look again because {item.text(3)}" if item.text(3) else ""
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole,
                     f"{item.text(0)}, {STATUS_TEXT.get(status, status)}{why}")

    # ----------------------------------------------------------------- reading
    def indicator_items(self) -> list[QTreeWidgetItem]:
        """The items of the indicators (not links, duplicates or keywords)."""
        return _children(self._found_item) if self._found_item is not None else []

    def current_key(self) -> tuple[str, str] | None:
        item = self.currentItem()
        key = item.data(0, KeyRole) if item is not None else None
        return (str(key[0]), str(key[1])) if key else None

    def status_of(self, kind: str, normalized: str) -> str | None:
        """The status shown for an indicator (tests, and the viewer's summary)."""
        for item in self.indicator_items():
            if tuple(item.data(0, KeyRole)) == (kind, normalized):
                return str(item.data(0, StatusRole))
        return None

    def linked_ids(self) -> list[int]:
        """Every capture id offered as a link (tests)."""
        out = []
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            value = item.data(0, LinkRole)
            if value is not None:
                out.append(int(value))
            stack += _children(item)
        return sorted(set(out))

    # --------------------------------------------------------------- reviewing
    def review_current(self, verb: str) -> None:
        """Ask for a verdict on the current indicator; show it, then move to the next
        one to review (after a confirm or reject)."""
        item = self.currentItem()
        key = item.data(0, KeyRole) if item is not None else None
        if item is None or not key:
            return
        if verb != "reset":
            self._show_status(item, "confirmed" if verb == "confirm" else "rejected")
        emit(self.reviewRequested, verb, str(key[0]), str(key[1]))
        if verb != "reset":
            self.next_pending()

    def next_pending(self) -> bool:
        """Move to the next indicator still to review (wrapping round); whether any is."""
        items = self.indicator_items()
        if not items:
            return False
        current = self.currentItem()
        start = items.index(current) + 1 if current in items else 0
        for item in items[start:] + items[:start]:
            if item.data(0, StatusRole) == "found":
                self.setCurrentItem(item)
                return True
        return False

    def step(self, delta: int) -> None:
        """Move to the next (+1) or previous (-1) indicator."""
        items = self.indicator_items()
        if not items:
            return
        current = self.currentItem()
        if current not in items:
            self.setCurrentItem(items[0 if delta > 0 else -1])
            return
        index = max(0, min(len(items) - 1, items.index(current) + delta))
        self.setCurrentItem(items[index])

    # ------------------------------------------------------------------- slots
    def _current_changed(self, item: QTreeWidgetItem | None,
                         _previous: QTreeWidgetItem | None) -> None:
        emit(self.boxChosen, item.data(0, BoxRole) if item is not None else None)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        value = item.data(0, LinkRole)
        if value is not None:
            emit(self.captureOpened, int(value))


def _one_per_key(records: list[IndicatorRecord]) -> list[IndicatorRecord]:
    """One record per (kind, normalised value): the one read by OCR when there is one
    (its box shows where), else the first."""
    chosen: dict[tuple[str, str], IndicatorRecord] = {}
    for record in records:
        key = (record.kind, record.normalized)
        if key not in chosen or (chosen[key].source != "ocr" and record.source == "ocr"):
            chosen[key] = record
    return list(chosen.values())
