"""The viewer's side panels: indicators with the captures that share them,
near-duplicates, keyword hits, metadata and hashes, and the audit history."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ui.common.qtutil import emit
from workstation.models import AuditEntry, Capture
from workstation.reading.service import IndicatorRecord, Link, OcrRun, SimilarImage

LinkRole = Qt.ItemDataRole.UserRole + 1
BoxRole = Qt.ItemDataRole.UserRole + 2


def _items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The top-level items of ``tree``."""
    found = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item for item in found if item is not None]


def _bold(item: QTreeWidgetItem) -> QTreeWidgetItem:
    font = item.font(0)
    font.setBold(True)
    item.setFont(0, font)
    return item


class IndicatorsPanel(QTreeWidget):
    """Indicators found in the capture; under each, the other captures sharing it.

    Signals:
        captureOpened(int): the analyst activated a linked capture.
        boxChosen(object): the ``(x, y, w, h)`` where the chosen indicator was read
            (``None`` when it has no box: found in notes or metadata).
    """

    captureOpened = Signal(int)
    boxChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("indicators")
        self.setHeaderLabels(["Indicator", "Source"])
        self.setColumnWidth(0, 260)
        self.itemActivated.connect(self._activated)
        self.currentItemChanged.connect(self._current_changed)

    def set_data(self, indicators: list[IndicatorRecord], links: list[Link],
                 similar: list[SimilarImage], keywords: list[dict[str, Any]]) -> None:
        self.clear()
        sharing: dict[tuple[str, str], list[int]] = {}
        for link in links:
            for shared in link.shared:
                sharing.setdefault((shared["kind"], shared["normalized"]), []).append(
                    link.capture_id)
        found = _bold(QTreeWidgetItem(self, [f"Indicators ({len(indicators)})"]))
        seen: set[tuple[str, str]] = set()
        for ind in indicators:
            key = (ind.kind, ind.normalized)
            if key in seen:
                continue
            seen.add(key)
            others = sharing.get(key, [])
            label = f"{ind.kind}: {ind.value}"
            if others:
                label += f"  — shared with {len(others)} other capture(s)"
            item = QTreeWidgetItem(found, [label, ind.source])
            item.setToolTip(0, f"normalised: {ind.normalized}")
            item.setData(0, BoxRole, ind.box)
            for other in sorted(others):
                child = QTreeWidgetItem(item, [f"→ capture #{other}", ""])
                child.setData(0, LinkRole, other)
        near = _bold(QTreeWidgetItem(self, [f"Near-duplicate images ({len(similar)})"]))
        for sim in similar:
            child = QTreeWidgetItem(near, [f"→ capture #{sim.capture_id}",
                                           f"PDQ distance {sim.distance}"])
            child.setData(0, LinkRole, sim.capture_id)
        words = _bold(QTreeWidgetItem(self, [f"Keyword hits ({len(keywords)})"]))
        for hit in keywords:
            QTreeWidgetItem(words, [f"{hit.get('term', '')} ({hit.get('category', '')}, "
                                    f"{hit.get('language', '')})", str(hit.get("source", ""))])
        self.expandAll()

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
            stack += [item.child(i) for i in range(item.childCount())]
        return sorted(set(out))

    def _current_changed(self, item: QTreeWidgetItem | None,
                         _previous: QTreeWidgetItem | None) -> None:
        emit(self.boxChosen, item.data(0, BoxRole) if item is not None else None)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        value = item.data(0, LinkRole)
        if value is not None:
            emit(self.captureOpened, int(value))


class DetailsPanel(QTreeWidget):
    """Metadata, hashes and OCR provenance as field/value rows (selectable, copyable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("details")
        self.setHeaderLabels(["Field", "Value"])
        self.setRootIsDecorated(False)
        self.setColumnWidth(0, 150)
        self.setWordWrap(True)

    def set_data(self, capture: Capture, run: OcrRun | None,
                 pdq: tuple[str, int] | None) -> None:
        self.clear()
        rows = [
            ("Capture", f"#{capture.id}"),
            ("SHA-256", capture.sha256),
            ("MD5", capture.md5),
            ("Size", f"{capture.size:,} bytes"),
            ("Image", f"{capture.width}×{capture.height} {capture.format}"),
            ("Captured (UTC)", f"{capture.captured_at} ({capture.captured_at_source})"),
            ("Imported (UTC)", capture.imported_at),
            ("Analyst", capture.analyst),
            ("Capture method", capture.capture_method),
            ("Original file", capture.original_filename or ""),
            ("Source URL", capture.source_url or ""),
            ("Platform", capture.platform or ""),
            ("Handle", f"@{capture.handle}" if capture.handle else ""),
            ("Content id", capture.content_id or ""),
            ("Case", capture.case or ""),
            ("Tags", ", ".join(capture.tags)),
            ("App version", capture.app_version),
        ]
        if pdq is not None:
            rows.append(("PDQ hash", f"{pdq[0]} (quality {pdq[1]})"))
        if run is not None:
            conf = f"{run.confidence:.0f}" if run.confidence is not None else "?"
            rows += [("OCR", f"{run.engine} {run.engine_version}, {run.languages}, "
                             f"confidence {conf}, {run.duration:.1f} s"),
                     ("OCR run", f"#{run.id} at {run.created_at} by {run.analyst}")]
        else:
            rows.append(("OCR", "not yet run"))
        for field, value in rows:
            item = QTreeWidgetItem(self, [field, value])
            item.setToolTip(1, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsSelectable)

    def value(self, field: str) -> str | None:
        for item in _items(self):
            if item.text(0) == field:
                return item.text(1)
        return None


def describe(entry: AuditEntry) -> str:
    """A one-line summary of an audit entry's details."""
    details = entry.details
    if entry.action == "capture.edit":
        changes = details.get("changes", {})
        return "; ".join(f"{k}: {v.get('old')!r} → {v.get('new')!r}" for k, v in changes.items())
    if entry.action == "capture.tag":
        return "added " + ", ".join(details.get("added", []))
    if entry.action == "capture.untag":
        return "removed " + ", ".join(details.get("removed", []))
    if entry.action == "ocr.run":
        return (f"run {details.get('run')} ({details.get('languages')}), "
                f"{details.get('indicators', 0)} indicator(s)")
    if entry.action == "capture.import":
        return f"from {details.get('source', '')}"
    return json.dumps(details, ensure_ascii=False, sort_keys=True)[:300]


class HistoryPanel(QTreeWidget):
    """The capture's audit entries, oldest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        self.setHeaderLabels(["#", "When (UTC)", "Analyst", "Action", "Details"])
        self.setRootIsDecorated(False)
        for column, width in enumerate((50, 150, 100, 110)):
            self.setColumnWidth(column, width)

    def set_entries(self, entries: list[AuditEntry]) -> None:
        self.clear()
        for entry in entries:
            text = describe(entry)
            item = QTreeWidgetItem(self, [str(entry.seq), entry.at[:19].replace("T", " "),
                                          entry.analyst, entry.action, text])
            item.setToolTip(4, f"{text}\n\nentry hash {entry.hash}")

    def action_names(self) -> list[str]:
        return [item.text(3) for item in _items(self)]

    def lines(self) -> list[str]:
        return [" | ".join(item.text(c) for c in range(5)) for item in _items(self)]
