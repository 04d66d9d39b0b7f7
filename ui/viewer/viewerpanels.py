"""The viewer's side panels: metadata, hashes and the reading, and the audit history
(the indicators panel is :mod:`ui.viewer.indicatorpanel`)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from workstation.models import AuditEntry, Capture
from workstation.platforms import platform_label
from workstation.reading.service import OcrRun
from workstation.reading.summary import reading_summary


def _items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The top-level items of ``tree``."""
    found = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item for item in found if item is not None]


class DetailsPanel(QTreeWidget):
    """Metadata, hashes and OCR provenance as field/value rows (selectable, copyable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("details")
        self.setAccessibleName("Capture details")
        self.setHeaderLabels(["Field", "Value"])
        self.setRootIsDecorated(False)
        self.setColumnWidth(0, 150)
        self.setWordWrap(True)

    def set_data(self, capture: Capture, run: OcrRun | None,
                 pdq: tuple[str, int] | None, *,
                 trusted_time: str = "not yet timestamped") -> None:
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
            ("Platform", platform_label(capture.platform)),
            ("Handle", f"@{capture.handle}" if capture.handle else ""),
            ("Content id", capture.content_id or ""),
            ("Case", capture.case or ""),
            ("Tags", ", ".join(capture.tags)),
            ("App version", capture.app_version),
            ("Trusted time", trusted_time),  # RFC 3161 token covering its import
        ]
        if pdq is not None:
            rows.append(("PDQ hash", f"{pdq[0]} (quality {pdq[1]})"))
        if run is not None:
            conf = f"{run.confidence:.0f}" if run.confidence is not None else "?"
            rows += [("OCR", f"{run.engine} {run.engine_version}, {run.languages}, "
                             f"confidence {conf}, {run.duration:.1f} s"),
                     ("OCR run", f"#{run.id} at {run.created_at} by {run.analyst}")]
            if reading_summary(run):
                rows.append(("Reading", reading_summary(run)))
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
        advert = f", advert in {details['advert_languages']}" \
            if details.get("advert_languages") else ""
        return (f"run {details.get('run')} ({details.get('languages')}{advert}), "
                f"{details.get('indicators', 0)} indicator(s)")
    if entry.action in ("indicator.confirm", "indicator.reject", "indicator.reset"):
        note = f" — {details['note']}" if details.get("note") else ""
        return (f"{details.get('kind')} {details.get('value')}: "
                f"{details.get('old') or 'found'} → {details.get('verdict') or 'found'}{note}")
    if entry.action == "capture.import":
        return f"from {details.get('source', '')}"
    return json.dumps(details, ensure_ascii=False, sort_keys=True)[:300]


class HistoryPanel(QTreeWidget):
    """The capture's audit entries, oldest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        self.setAccessibleName("History")
        self.setAccessibleDescription("The audit trail entries about this capture")
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
