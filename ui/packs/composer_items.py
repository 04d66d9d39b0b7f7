"""The pack composer's table of items: one row per capture with the core's checks,
the policy cited, where its observed time comes from (flagged when it is only the
file's time), and what is asked of the platform for that one item.

Each item's own request (action, priority, deadline, policy; the pack's choices are
the defaults) and the reason an item a platform cannot find (no URL, no content id)
goes anyway are set in :class:`ItemRequestDialog`, opened from the keyboard (F2 or
Enter on a row) or by a double click.  So is the image an item carries: the original
(the default) or, for a capture that has one, its current redacted copy (the Image
column; Ctrl+Shift+E switches the chosen item; ``ws.packs.build(redacted=...)``, recorded
in the manifest).  Nothing here reads the workspace: the rows are filled from what the
composer hands over (the core's ``ItemReadiness``, which captures have a copy).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.common.qtutil import buddy_label
from ui.common.theme import warning_colour
from workstation.packs.format.spec import ACTIONS, PRIORITIES
from workstation.packs.models import ItemRequest
from workstation.packs.readiness import ItemReadiness
from workstation.platforms import platform_label
from workstation.timeutil import parse_iso

ITEM_COLUMNS = ("Capture", "Platform", "Handle", "Source URL", "Policy cited", "Indicators",
                "Check", "Observed time", "Request", "Image")
POLICY_COLUMN, CHECK_COLUMN, OBSERVED_COLUMN, REQUEST_COLUMN, IMAGE_COLUMN = 4, 6, 7, 8, 9
ORIGINAL, REDACTED_COPY = "original", "redacted copy"
#: Switches the chosen item between its original and its redacted copy.
IMAGE_SHORTCUT = "Ctrl+Shift+E"
NO_COPY = "This capture has no redacted copy: redact it in the viewer (Ctrl+Shift+D) first."
WEAK_TIME = "only the file's time"
_SOURCES = {"analyst": "analyst", "system": "when taken in", "file": f"⚠ {WEAK_TIME}"}


def describe_request(request: ItemRequest) -> str:
    """The Request column: what differs from the pack's choices."""
    parts = [request.action or "", request.priority or "",
             f"by {request.deadline}" if request.deadline else "",
             f"policy {request.policy}" if request.policy else ""]
    said = ", ".join(p for p in parts if p) or "pack's choices"
    if request.no_locator_reason:
        said += f"; no URL: {request.no_locator_reason}"
    return said


class ItemRequestDialog(QDialog):
    """One item's request: each choice "as the pack" or its own; the reason to send an
    item that has no URL and no content id.  ``request()`` is the result.

    Attributes:
        action_box, priority_box, policy_box: the choices (data ``None``: the pack's).
        deadline: an ISO 8601 time (UTC when no zone is given), empty for the pack's.
        reason: why an item with no URL or content id goes anyway.
        image_box: the original or the redacted copy (only when the capture has one).
        error: what is wrong with the deadline typed, if anything.
    """

    def __init__(self, capture_id: int, request: ItemRequest, policies: list[dict[str, Any]],
                 defaults: dict[str, str], parent: QWidget | None = None, *,
                 has_copy: bool = False, redacted: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("itemRequestDialog")
        self.setWindowTitle(f"Request for capture #{capture_id}")
        self.action_box = self._choices("itemAction", defaults.get("action", ""),
                                        [(a, a) for a in ACTIONS], request.action)
        self.priority_box = self._choices("itemPriority", defaults.get("priority", ""),
                                          [(p, p) for p in PRIORITIES], request.priority)
        self.policy_box = self._choices(
            "itemPolicy", defaults.get("policy", ""),
            [(str(p.get("id")), f"{p.get('document')}: {p.get('title')}") for p in policies],
            request.policy)
        self.deadline = QLineEdit(request.deadline or "", self)
        self.deadline.setObjectName("itemDeadline")
        self.deadline.setPlaceholderText("the pack's; or e.g. 2026-12-06T12:00Z (UTC)")
        self.reason = QLineEdit(request.no_locator_reason or "", self)
        self.reason.setObjectName("itemNoLocatorReason")
        self.reason.setPlaceholderText("only for an item with no URL and no content id")
        self.image_box = _image_box(self, has_copy, redacted)
        self.error = QLabel(self)
        self.error.setObjectName("itemRequestError")
        form = QFormLayout()
        form.addRow(buddy_label("&Action:", self, self.action_box), self.action_box)
        form.addRow(buddy_label("&Priority:", self, self.priority_box), self.priority_box)
        form.addRow(buddy_label("&Deadline (UTC):", self, self.deadline), self.deadline)
        form.addRow(buddy_label("P&olicy cited:", self, self.policy_box), self.policy_box)
        form.addRow(buddy_label("&Reason to send without URL:", self, self.reason), self.reason)
        form.addRow(buddy_label("&Image sent:", self, self.image_box), self.image_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        order = (self.action_box, self.priority_box, self.deadline, self.policy_box,
                 self.reason, self.image_box)
        for first, second in pairwise(order):
            QWidget.setTabOrder(first, second)
        self.action_box.setFocus()

    def _choices(self, name: str, default: str, options: list[tuple[str, str]],
                 current: str | None) -> QComboBox:
        box = QComboBox(self)
        box.setObjectName(name)
        box.addItem(f"as the pack ({default})" if default else "as the pack", None)
        for value, label in options:
            box.addItem(label, value)
        box.setCurrentIndex(max(box.findData(current), 0) if current else 0)
        return box

    def accept(self) -> None:
        text = self.deadline.text().strip()
        if text:
            try:
                parse_iso(text)
            except ValueError:
                self.error.setText(f"{text!r} is not a time (e.g. 2026-12-06T12:00Z).")
                self.deadline.setFocus()
                return
        super().accept()

    def request(self) -> ItemRequest:
        text = self.deadline.text().strip()
        return ItemRequest(action=self.action_box.currentData(),
                           priority=self.priority_box.currentData(),
                           deadline=parse_iso(text) if text else None,
                           policy=self.policy_box.currentData(),
                           no_locator_reason=" ".join(self.reason.text().split()) or None)

    def redacted(self) -> bool:
        """Whether the item goes as its redacted copy."""
        return bool(self.image_box.currentData())


def _image_box(parent: QWidget, has_copy: bool, redacted: bool) -> QComboBox:
    """Original or redacted copy; the copy cannot be chosen when there is none."""
    box = QComboBox(parent)
    box.setObjectName("itemImage")
    box.addItem(ORIGINAL, False)
    box.addItem(REDACTED_COPY, True)
    model = box.model()
    if not has_copy and isinstance(model, QStandardItemModel):
        item = model.item(1)
        if item is not None:
            item.setEnabled(False)
        box.setToolTip(NO_COPY)
    box.setCurrentIndex(1 if redacted and has_copy else 0)
    return box


class PackItemsTable(QTableWidget):
    """The items of the pack being composed, in order, with each one's request.

    Signals:
        requestChanged(int): an item's request was set (its capture id).
        imageChanged(int): an item's image (original or redacted copy) was switched.
        refused(str): why the image could not be switched (no redacted copy).

    Attributes:
        dialog: the last :class:`ItemRequestDialog` opened (F2 or Enter on a row).
        image_action: switches the chosen item's image (Ctrl+Shift+E, in the composer).
    """

    requestChanged = Signal(int)
    imageChanged = Signal(int)
    refused = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(0, len(ITEM_COLUMNS), parent)
        self.setObjectName("packItems")
        self.setAccessibleName("Items of the pack")
        self.setAccessibleDescription("One row per capture; F2 sets the item's own request")
        self.setHorizontalHeaderLabels(list(ITEM_COLUMNS))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.setToolTip("F2 or Enter: this item's own action, priority, deadline, policy "
                        f"and image; {IMAGE_SHORTCUT}: original or redacted copy")
        self._ids: list[int] = []
        self._requests: dict[int, ItemRequest] = {}
        self._policies: list[dict[str, Any]] = []
        self._defaults: dict[str, str] = {}
        self.dialog: ItemRequestDialog | None = None
        self._copies: dict[int, int] = {}  # capture id -> its current redaction's id
        self._redacted: set[int] = set()  # chosen to go as their redacted copy
        self.doubleClicked.connect(lambda index: self.edit_request(index.row()))
        self.image_action = QAction("Send original / redacted copy", self)
        self.image_action.setObjectName("itemImageAction")
        self.image_action.setShortcut(QKeySequence(IMAGE_SHORTCUT))
        self.image_action.triggered.connect(lambda: self.toggle_redacted())
        self.addAction(self.image_action)  # active anywhere in the composer

    # ----------------------------------------------------------------- requests
    def requests(self) -> dict[int, ItemRequest]:
        """The items' own requests (those set), for ``ws.packs.build(items=...)``."""
        return {i: r for i, r in self._requests.items() if i in self._ids and r.to_json()}

    def set_request(self, capture_id: int, request: ItemRequest) -> None:
        self._requests[capture_id] = request
        if capture_id in self._ids:
            row = self._ids.index(capture_id)
            self._request_cell(row)
            self.show_policy(self._policies, self._defaults)
        self.requestChanged.emit(capture_id)

    def set_reason(self, capture_ids: Sequence[int], reason: str) -> None:
        """Send these items, which have no URL and no content id, for ``reason``."""
        for capture_id in capture_ids:
            old = self._requests.get(capture_id, ItemRequest())
            self.set_request(capture_id, ItemRequest(old.action, old.priority, old.deadline,
                                                     old.policy, reason))

    def needing_reason(self, readiness: Sequence[ItemReadiness] | None) -> list[int]:
        """Items a platform cannot find that have no reason to go yet."""
        return [r.capture_id for r in readiness or [] if r.no_locator
                and not (self._requests.get(r.capture_id) or ItemRequest()).no_locator_reason]

    def edit_request(self, row: int | None = None) -> ItemRequestDialog | None:
        """Open the request of the item at ``row`` (default: the current row)."""
        row = self.currentRow() if row is None else row
        if not 0 <= row < len(self._ids):
            return None
        capture_id = self._ids[row]
        dialog = ItemRequestDialog(capture_id, self._requests.get(capture_id, ItemRequest()),
                                   self._policies, self._defaults, self,
                                   has_copy=capture_id in self._copies,
                                   redacted=capture_id in self._redacted)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            if dialog.redacted() != (capture_id in self._redacted):
                self.set_redacted(capture_id, dialog.redacted())
            self.set_request(capture_id, dialog.request())

        dialog.accepted.connect(accepted)
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.edit_request()
            return
        super().keyPressEvent(event)

    # -------------------------------------------------------------------- image
    def redacted(self) -> list[int]:
        """The items that go as their redacted copy, for ``ws.packs.build(redacted=...)``."""
        return [i for i in self._ids if i in self._redacted]

    def show_copies(self, copies: dict[int, int]) -> None:
        """Which captures have a redacted copy (capture id -> redaction id); an item
        whose copy is gone goes as its original again."""
        self._copies = dict(copies)
        self._redacted &= set(self._copies)
        for row in range(len(self._ids)):
            self._image_cell(row)

    def set_redacted(self, capture_id: int, on: bool) -> bool:
        """Send the item as its redacted copy (``on``) or its original; False (and
        ``refused``) when it has no copy."""
        if on and capture_id not in self._copies:
            self.refused.emit(f"Capture #{capture_id}: {NO_COPY}")
            return False
        if on == (capture_id in self._redacted):
            return True
        if on:
            self._redacted.add(capture_id)
        else:
            self._redacted.discard(capture_id)
        if capture_id in self._ids:
            self._image_cell(self._ids.index(capture_id))
        self.imageChanged.emit(capture_id)
        return True

    def toggle_redacted(self, row: int | None = None) -> bool:
        """Switch the image of the item at ``row`` (default: the current row)."""
        row = self.currentRow() if row is None else row
        if not 0 <= row < len(self._ids):
            return False
        capture_id = self._ids[row]
        return self.set_redacted(capture_id, capture_id not in self._redacted)

    def _image_cell(self, row: int) -> None:
        capture_id = self._ids[row]
        chosen = capture_id in self._redacted
        cell = QTableWidgetItem(REDACTED_COPY if chosen else ORIGINAL)
        if chosen:
            cell.setToolTip(f"Sent as redacted copy #{self._copies[capture_id]} (recorded in "
                            f"the manifest); {IMAGE_SHORTCUT} or F2 for the original.")
        elif capture_id in self._copies:
            cell.setToolTip(f"A redacted copy exists: {IMAGE_SHORTCUT} or F2 sends it instead.")
        else:
            cell.setToolTip("No redacted copy: the original is sent.")
        self.setItem(row, IMAGE_COLUMN, cell)

    # --------------------------------------------------------------------- rows
    def list_ids(self, ids: Sequence[int]) -> None:
        """List the captures at once (their checks come later: :meth:`show_readiness`)."""
        self._ids = list(ids)
        self.setRowCount(len(self._ids))
        for row, capture_id in enumerate(self._ids):
            self.fill_row(row, f"#{capture_id}", ("", "", ""), "", "checking…")
            self._request_cell(row, False)
            self._image_cell(row)

    def show_readiness(self, ids: Sequence[int],
                       found: dict[int, ItemReadiness]) -> None:
        for row, capture_id in enumerate(ids):
            item = found.get(capture_id)
            if item is None:
                self.fill_row(row, f"#{capture_id}", ("—", "—", "—"), "—", "not found",
                              problem=True)
                continue
            count = f"{item.indicators} + {item.unconfirmed} unconfirmed" \
                if item.unconfirmed else str(item.indicators)
            self.fill_row(row, f"#{capture_id}", (platform_label(item.platform, "—"),
                                                  item.handle or "—", item.source_url or "—"),
                          count, "; ".join(item.checks) or "ok",
                          problem=bool(item.checks), blocking=item.blocking)
            self._observed_cell(row, item.observed_source)
            self._request_cell(row, item.no_locator)

    def fill_row(self, row: int, capture: str, fields: tuple[str, str, str],
                 indicators: str, check: str, *, problem: bool = False,
                 blocking: bool = False) -> None:
        """One row (the policy column is left to :meth:`show_policy`): checks in dark
        red, a blocking one (a pack goes to one platform) in bold too."""
        values = {0: capture, 1: fields[0], 2: fields[1], 3: fields[2], 5: indicators,
                  CHECK_COLUMN: check, OBSERVED_COLUMN: "", REQUEST_COLUMN: ""}
        for column, value in values.items():
            cell = QTableWidgetItem(value)
            if column == CHECK_COLUMN and problem:
                cell.setForeground(warning_colour(QApplication.palette()))
                if blocking:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                    cell.setToolTip("A pack goes to one platform: remove this capture or "
                                    "choose a contact for its platform.")
            self.setItem(row, column, cell)

    def _observed_cell(self, row: int, source: str) -> None:
        cell = QTableWidgetItem(_SOURCES.get(source, source))
        if source == "file":
            cell.setForeground(warning_colour(QApplication.palette()))
            cell.setToolTip("The time it was seen is only the file's modification time; set "
                            "the time seen in the viewer (Edit) if you know it.")
        self.setItem(row, OBSERVED_COLUMN, cell)

    def _request_cell(self, row: int, no_locator: bool | None = None) -> None:
        capture_id = self._ids[row]
        request = self._requests.get(capture_id, ItemRequest())
        old = self.item(row, REQUEST_COLUMN)
        if no_locator is None:  # keep what the checks said
            no_locator = bool(old is not None and old.data(Qt.ItemDataRole.UserRole))
        text = describe_request(request)
        missing = no_locator and not request.no_locator_reason
        if missing:
            text = "⚠ no URL or content id: give a reason (F2)"
        cell = QTableWidgetItem(text)
        cell.setData(Qt.ItemDataRole.UserRole, no_locator)
        if missing:
            cell.setForeground(warning_colour(QApplication.palette()))
            font = cell.font()
            font.setBold(True)
            cell.setFont(font)
        self.setItem(row, REQUEST_COLUMN, cell)

    def show_policy(self, policies: list[dict[str, Any]], defaults: dict[str, str]) -> None:
        """The policy cited on every row: the pack's, or the item's own."""
        self._policies, self._defaults = policies, defaults
        titles = {str(p.get("id")): str(p.get("title") or "—") for p in policies}
        for row, capture_id in enumerate(self._ids):
            own = (self._requests.get(capture_id) or ItemRequest()).policy
            policy = own or defaults.get("policy", "")
            cell = QTableWidgetItem(titles.get(policy, "—"))
            cell.setToolTip(f"{policy} (this item's own)" if own else policy)
            self.setItem(row, POLICY_COLUMN, cell)
