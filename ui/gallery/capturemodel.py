"""The item model over ``Capture`` dataclasses shared by the gallery and the table.

One model serves both views (the gallery shows column 0 with its thumbnail,
the table every column), so selection and filtering stay in step.
``CaptureProxy`` filters by a set of capture ids (the sidebar's saved filters
and search hits); sorting is delegated to the source model, which sorts its
plain Python list once instead of letting the proxy call back into Python for
every comparison — that keeps a header click on 10,000 rows instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from ui.common.qtutil import emit
from ui.gallery.thumbnails import ThumbnailLoader
from ui.gallery.tiles import ORDERS, Tile, make_tile, tooltip
from ui.gallery.wellbeing import Wellbeing
from workstation.evidence.overview import CaptureOverview
from workstation.models import Capture
from workstation.platforms import platform_label

CaptureRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2
ThumbRole = Qt.ItemDataRole.UserRole + 3
PendingRole = Qt.ItemDataRole.UserRole + 4
FlagRole = Qt.ItemDataRole.UserRole + 5
SortRole = Qt.ItemDataRole.UserRole + 6
TileRole = Qt.ItemDataRole.UserRole + 7
#: The caption of the group the capture is in (``None`` when the gallery is not grouped).
GroupRole = Qt.ItemDataRole.UserRole + 8

Index = QModelIndex | QPersistentModelIndex


def _when(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:120]


class CaptureModel(QAbstractTableModel):
    """Captures as rows, newest first; new captures are inserted at the top.

    Attributes:
        COLUMNS: ``(key, header)`` of every column.
    """

    COLUMNS: tuple[tuple[str, str], ...] = (
        ("id", "#"), ("captured_at", "Captured (UTC)"), ("platform", "Platform"),
        ("handle", "Handle"), ("case", "Case"), ("tags", "Tags"), ("ocr", "OCR"),
        ("flag", "Flagged"), ("notes", "Notes"), ("original_filename", "File"),
        ("exhibit", "Exhibit"), ("pack", "Pack"),
    )

    def __init__(self, thumbs: ThumbnailLoader, wellbeing: Wellbeing,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._captures: list[Capture] = []
        self._row: dict[int, int] = {}
        self._pending: set[int] = set()
        self._flags: dict[int, tuple[bool, float]] = {}
        self._thumbs = thumbs
        self._wellbeing = wellbeing
        self._exhibits: dict[int, str] = {}
        #: capture ids -> their exhibit references (``ws.exhibits.refs_for``), set by the
        #: window; read on reset and upsert
        self.exhibit_lookup: Callable[[Iterable[int]], dict[int, str]] | None = None
        #: capture ids (``None``: all) -> what their tiles tell (``ws.overview.captures``),
        #: set by the window; read on reset, upsert and new OCR or flags
        self.overview_lookup: Callable[[Iterable[int] | None],
                                       dict[int, CaptureOverview]] | None = None
        self._overview: dict[int, CaptureOverview] = {}
        self._tiles: dict[int, Tile] = {}  # made on first paint, dropped on change
        self._reading: set[int] = set()
        self._now = datetime.now().astimezone()  # "this year" for the tiles' dates
        self.order = "date"  # ORDERS key the rows are in (the table's header may differ)
        self.grouped = False
        thumbs.loaded.connect(self._thumb_loaded)
        wellbeing.changed.connect(self._all_thumbs_changed)

    # ------------------------------------------------------------------ shape
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._captures)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section][1]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ------------------------------------------------------------------- data
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        capture = self._captures[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(capture, self.COLUMNS[index.column()][0])
        if role == CaptureRole:
            return capture
        if role == IdRole:
            return capture.id
        if role == ThumbRole:
            return self._thumbs.pixmap(capture, self._wellbeing.treatment(capture.id))
        if role == PendingRole:
            return capture.id in self._pending
        if role == FlagRole:
            return self._flags.get(capture.id, (False, 0.0))[0]
        if role == TileRole:
            return self.tile(capture)
        if role == GroupRole:
            return self.tile(capture).groups.get(self.order) if self.grouped else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(self.tile(capture), capture)
        if role == Qt.ItemDataRole.AccessibleTextRole and index.column() == 0:
            return self.tile(capture).spoken
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and index.column() == 0:
            return "; ".join(line for line in self.tile(capture).lines if line)
        if role == SortRole:
            return self._sort_key(self.COLUMNS[index.column()][0])(capture)
        return None

    def _text(self, capture: Capture, key: str) -> str:
        if key == "id":
            return str(capture.id)
        if key == "captured_at":
            return _when(capture.captured_at)
        if key == "tags":
            return ", ".join(capture.tags)
        if key == "ocr":
            return "pending" if capture.id in self._pending else "done"
        if key == "flag":
            flagged, score = self._flags.get(capture.id, (False, 0.0))
            return f"yes ({score:.1f})" if flagged else ""
        if key == "notes":
            return _first_line(capture.notes)
        if key == "handle":
            return f"@{capture.handle}" if capture.handle else ""
        if key == "exhibit":
            return self._exhibits.get(capture.id, "")
        if key == "platform":
            return platform_label(capture.platform)
        if key == "pack":
            return self.tile(capture).state_label
        value = getattr(capture, key)
        return "" if value is None else str(value)

    def _sort_key(self, key: str) -> Callable[[Capture], Any]:
        if key == "id":
            return lambda c: c.id
        if key == "ocr":
            return lambda c: (c.id in self._pending, c.id)
        if key == "flag":
            return lambda c: (self._flags.get(c.id, (False, 0.0))[1], c.id)
        if key == "tags":
            return lambda c: (", ".join(c.tags).lower(), c.id)
        if key == "exhibit":
            return lambda c: (self._exhibits.get(c.id, "").lower(), c.id)
        if key == "platform":
            return lambda c: (platform_label(c.platform).lower(), c.id)
        if key == "pack":
            return lambda c: (self.overview(c.id).pack.rank, c.id)
        return lambda c: ((getattr(c, key) or "").lower(), c.id)

    # -------------------------------------------------------------- accessors
    def capture(self, capture_id: int) -> Capture | None:
        row = self._row.get(capture_id)
        return None if row is None else self._captures[row]

    def exhibit(self, capture_id: int) -> str | None:
        """The capture's exhibit reference, when it has one."""
        return self._exhibits.get(capture_id)

    def captures(self) -> list[Capture]:
        return list(self._captures)

    def id_at(self, row: int) -> int:
        return self._captures[row].id

    def row_of(self, capture_id: int) -> int | None:
        return self._row.get(capture_id)

    def pending_ids(self) -> set[int]:
        return set(self._pending)

    def flagged_ids(self) -> set[int]:
        return {cid for cid, (flagged, _score) in self._flags.items() if flagged}

    def overview(self, capture_id: int) -> CaptureOverview:
        return self._overview.get(capture_id) or CaptureOverview(capture_id)

    def tile(self, capture: Capture) -> Tile:
        """The capture's tile (made from what the model holds, then kept until it changes)."""
        tile = self._tiles.get(capture.id)
        if tile is None:
            tile = self._tiles[capture.id] = make_tile(
                capture, self._overview.get(capture.id), self._exhibits.get(capture.id),
                flagged=self._flags.get(capture.id, (False, 0.0))[0],
                pending=capture.id in self._pending, reading=capture.id in self._reading,
                now=self._now)
        return tile

    def tile_of(self, capture_id: int) -> Tile | None:
        capture = self.capture(capture_id)
        return None if capture is None else self.tile(capture)

    # ---------------------------------------------------------------- changes
    def reset(self, captures: Iterable[Capture], pending: Iterable[int],
              flags: dict[int, tuple[bool, float]]) -> None:
        """Replace everything (workspace opened, or a full refresh)."""
        self.beginResetModel()
        self._pending = set(pending)
        self._reading &= self._pending
        self._flags = dict(flags)
        self._overview = self._lookup_overview(None)
        self._tiles.clear()
        self._now = datetime.now().astimezone()
        self._captures = self._ordered(list(captures))
        self._exhibits = self._lookup_exhibits(c.id for c in self._captures)
        self._reindex()
        self.endResetModel()

    def upsert(self, captures: Iterable[Capture]) -> list[int]:
        """Update known captures in place and insert new ones at the top; returns the
        ids that were new."""
        fresh: list[Capture] = []
        captures = list(captures)
        refs = self._lookup_exhibits(c.id for c in captures)
        self._overview.update(self._lookup_overview([c.id for c in captures]))
        for capture in captures:
            self._tiles.pop(capture.id, None)
            row = self._row.get(capture.id)
            ref_changed = refs.get(capture.id) != self._exhibits.get(capture.id)
            if capture.id in refs:
                self._exhibits[capture.id] = refs[capture.id]
            if row is None:
                fresh.append(capture)
            elif self._captures[row] != capture or ref_changed:
                self._captures[row] = capture
                self._row_changed(row)
        if fresh:
            fresh.sort(key=lambda c: c.id, reverse=True)
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self._captures[:0] = fresh
            self._reindex()
            self.endInsertRows()
            if self.order != "date" or self.grouped:  # new ones join their group
                self._relayout()
        return [c.id for c in fresh]

    def set_reading(self, pending: Iterable[int] | None = None,
                    flags: dict[int, tuple[bool, float]] | None = None,
                    ids: Iterable[int] | None = None) -> None:
        """New OCR/flag state; ``ids`` limits the repaint to those captures."""
        if pending is not None:
            self._pending = set(pending)
            self._reading &= self._pending
        if flags is not None:
            self._flags = dict(flags)
        if ids is None:
            self._overview = self._lookup_overview(None)
            self._tiles.clear()
        else:
            ids = list(ids)
            self._overview.update(self._lookup_overview(ids))
            for cid in ids:
                self._tiles.pop(cid, None)
        if ids is None:
            if self._captures:
                emit(self.dataChanged, self.index(0, 0),
                                      self.index(len(self._captures) - 1, self.columnCount() - 1))
            return
        for cid in ids:
            row = self._row.get(cid)
            if row is not None:
                self._row_changed(row)

    def mark_reading(self, ids: Iterable[int] | None, on: bool = True) -> None:
        """The captures OCR is reading now (their tiles say "reading…"), or no longer
        (``ids`` ``None``: all of them)."""
        wanted = set(self._reading if ids is None else ids)
        changed = wanted & self._pending if on else wanted & self._reading
        if on:
            self._reading |= changed
        else:
            self._reading -= changed
        self._tiles_changed(changed)

    def refresh_overview(self) -> None:
        """Re-read what every tile tells (packs sealed, sent or answered)."""
        self._overview = self._lookup_overview(None)
        self._tiles.clear()
        if self.order == "state":
            self._relayout()
        if self._captures:
            emit(self.dataChanged, self.index(0, 0),
                 self.index(len(self._captures) - 1, self.columnCount() - 1))

    def sort_by(self, order: str) -> None:
        """Put the rows in one of :data:`~ui.gallery.tiles.ORDERS` (newest first within)."""
        if order not in ORDERS:
            raise ValueError(order)
        self.order = order
        self._relayout()

    def set_grouped(self, on: bool) -> None:
        """Show the groups of the current order (a caption above each group's first tile)."""
        if on != self.grouped:
            self.grouped = on
            if self._captures:
                emit(self.dataChanged, self.index(0, 0),
                     self.index(len(self._captures) - 1, 0), [GroupRole])

    def _ordered(self, captures: list[Capture]) -> list[Capture]:
        ordered = sorted(captures, key=lambda c: (c.captured_at or "", c.id), reverse=True)
        if self.order == "platform":
            ordered.sort(key=lambda c: platform_label(c.platform, "\uffff").lower())
        elif self.order == "case":
            ordered.sort(key=lambda c: (c.case is None, (c.case or "").lower()))
        elif self.order == "state":
            ordered.sort(key=lambda c: self.overview(c.id).pack.rank)
        return ordered

    def _relayout(self) -> None:
        self._rearrange(self._ordered)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        key = self._sort_key(self.COLUMNS[column][0])
        self._rearrange(lambda rows: sorted(rows, key=key,
                                            reverse=order == Qt.SortOrder.DescendingOrder))

    def _rearrange(self, arrange: Callable[[list[Capture]], list[Capture]]) -> None:
        emit(self.layoutAboutToBeChanged)
        persistent = self.persistentIndexList()
        ids = [self._captures[i.row()].id if i.isValid() else None for i in persistent]
        self._captures = arrange(self._captures)
        self._reindex()
        self.changePersistentIndexList(persistent, [
            self.index(self._row[cid], old.column()) if cid is not None else QModelIndex()
            for cid, old in zip(ids, persistent, strict=True)])
        emit(self.layoutChanged)

    # ---------------------------------------------------------------- helpers
    def _lookup_exhibits(self, ids: Iterable[int]) -> dict[int, str]:
        return {} if self.exhibit_lookup is None else self.exhibit_lookup(ids)

    def _lookup_overview(self, ids: list[int] | None) -> dict[int, CaptureOverview]:
        if self.overview_lookup is None or ids == []:
            return {}
        found = self.overview_lookup(ids)
        if ids is not None:  # those with nothing to tell any more
            found.update({cid: CaptureOverview(cid) for cid in ids if cid not in found})
        return found

    def _tiles_changed(self, ids: Iterable[int]) -> None:
        for cid in ids:
            self._tiles.pop(cid, None)
            row = self._row.get(cid)
            if row is not None:
                self._row_changed(row)

    def _reindex(self) -> None:
        self._row = {c.id: i for i, c in enumerate(self._captures)}

    def _row_changed(self, row: int) -> None:
        emit(self.dataChanged, self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _thumb_loaded(self, capture_id: int) -> None:
        row = self._row.get(capture_id)
        if row is not None:
            index = self.index(row, 0)
            emit(self.dataChanged, index, index, [ThumbRole])

    def _all_thumbs_changed(self) -> None:
        if self._captures:
            emit(self.dataChanged, self.index(0, 0), self.index(len(self._captures) - 1, 0),
                                  [ThumbRole])


class CaptureProxy(QSortFilterProxyModel):
    """Shows the captures whose id is in ``allowed`` (all when ``None``);
    sorting re-orders the source model."""

    def __init__(self, source: CaptureModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._allowed: frozenset[int] | None = None
        self.setSourceModel(source)

    def source(self) -> CaptureModel:
        model = self.sourceModel()
        assert isinstance(model, CaptureModel)
        return model

    def set_allowed(self, ids: Iterable[int] | None) -> None:
        self.beginFilterChange()
        self._allowed = None if ids is None else frozenset(ids)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def allowed(self) -> frozenset[int] | None:
        return self._allowed

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._allowed is None:
            return True
        return self.source().id_at(source_row) in self._allowed

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)

    def capture_at(self, index: Index) -> Capture | None:
        value = index.data(CaptureRole) if index.isValid() else None
        return value if isinstance(value, Capture) else None
