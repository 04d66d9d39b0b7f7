"""The composer's items, from the keyboard: each item's own request (F2 on a row), the
observed time's source flagged when it is only the file's time, and an item with no
URL and no content id sealed only once the analyst has said why."""

from __future__ import annotations

from pathlib import Path

import pyrage
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, answer_next_passphrase, wait_idle
from tests.gui.test_window import sample_png
from tests.issuer import set_issuer
from ui.main.mainwindow import MainWindow
from ui.packs.composer_items import OBSERVED_COLUMN, POLICY_COLUMN, REQUEST_COLUMN
from workstation.models import CaptureMeta
from workstation.packs.models import ItemRequest

pytestmark = GUI_MARKS


def test_item_requests_time_source_and_no_locator_reason_from_the_keyboard(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    w = window
    w.ops.run("Keys", lambda ws, _t: (set_issuer(ws), ws.keys.init()),
              changed=(w.ops.contactsChanged,))
    answer_next_passphrase(qtbot, w)
    wait_idle(qtbot, w)
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    w.ops.run("Contact", lambda ws, _t: ws.contacts.add(
        "facebook", "Trust and Safety", "ts@facebook.example", [recipient]),
        changed=(w.ops.contactsChanged,))
    located, unlocated = tmp_path / "located.png", tmp_path / "unlocated.png"
    located.write_bytes(sample_png("english", marker=1))
    unlocated.write_bytes(sample_png("english", marker=2))
    w.ops.import_paths([located], meta=CaptureMeta(
        platform="facebook", source_url="https://www.facebook.com/groups/crossings/posts/1"))
    w.ops.import_paths([unlocated], meta=CaptureMeta(platform="facebook"))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.model.captures()) == 2, timeout=10_000)
    by_url = {bool(c.source_url): c.id for c in w.model.captures()}
    first, second = by_url[True], by_url[False]

    w.views.current_view().selectAll()
    composer = w.new_pack()
    qtbot.waitUntil(lambda: composer.readiness() is not None, timeout=10_000)
    table = composer.items
    rows = {capture_id: row for row, capture_id in enumerate(composer.capture_ids())}
    # imported files: the time seen is only the file's, flagged on every row
    for row in rows.values():
        cell = table.item(row, OBSERVED_COLUMN)
        assert "only the file's time" in cell.text()
        assert cell.foreground().color() == Qt.GlobalColor.darkRed
    assert "no URL or content id" in table.item(rows[second], REQUEST_COLUMN).text()
    assert table.item(rows[first], REQUEST_COLUMN).text() == "pack's choices"

    # F2 on the first item: its own action, priority and deadline, typed
    table.setFocus()
    table.selectRow(rows[first])
    qtbot.keyClick(table, Qt.Key.Key_F2)
    dialog = table.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.focusWidget() is dialog.action_box
    qtbot.keyClick(dialog.action_box, Qt.Key.Key_Down)  # remove
    qtbot.keyClick(dialog.action_box, Qt.Key.Key_Down)  # restrict
    qtbot.keyClick(dialog.action_box, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.priority_box
    qtbot.keyClick(dialog.priority_box, Qt.Key.Key_Down)  # normal
    qtbot.keyClick(dialog.priority_box, Qt.Key.Key_Down)  # urgent
    qtbot.keyClick(dialog.priority_box, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.deadline
    qtbot.keyClicks(dialog.deadline, "tomorrow")
    qtbot.keyClick(dialog.deadline, Qt.Key.Key_Return)
    assert dialog.isVisible() and "is not a time" in dialog.error.text()  # stays open
    dialog.deadline.clear()
    qtbot.keyClicks(dialog.deadline, "2099-12-06T12:00Z")
    with qtbot.waitSignal(table.requestChanged, timeout=5_000):
        qtbot.keyClick(dialog.deadline, Qt.Key.Key_Return)
    asked = table.item(rows[first], REQUEST_COLUMN).text()
    assert asked == "restrict, urgent, by 2099-12-06T12:00:00.000Z"
    assert table.item(rows[first], POLICY_COLUMN).text() == "Human Exploitation"

    # Sealing asks why the item without a URL goes; the answer is recorded
    qtbot.mouseClick(composer.seal_button, Qt.MouseButton.LeftButton)
    box = composer.reason_box
    assert box is not None and box.isVisible() and f"#{second}" in box.labelText()
    assert composer.confirm_box is None  # asked before anything else
    line = box.findChild(QLineEdit)
    assert line is not None
    qtbot.keyClicks(line, "Post deleted before its URL was noted")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: composer.confirm_box is not None
                    and composer.confirm_box.isVisible(), timeout=10_000)
    assert "no URL: Post deleted" in table.item(rows[second], REQUEST_COLUMN).text()
    with qtbot.waitSignal(composer.sealed, timeout=60_000) as sealed:
        confirm = composer.confirm_box
        assert confirm is not None
        qtbot.mouseClick(confirm.button(QMessageBox.StandardButton.Yes),
                         Qt.MouseButton.LeftButton)
    pack = w.reader.packs.get(sealed.args[0].ref)
    requests = {i.capture_id: i.request for i in pack.items}
    assert requests[first] == ItemRequest("restrict", "urgent", "2099-12-06T12:00:00.000Z")
    assert requests[second] == ItemRequest(
        no_locator_reason="Post deleted before its URL was noted")
    # The sealed pack's rows for a platform's web form, one keystroke away (Ctrl+Shift+C).
    qtbot.waitUntil(lambda: composer.web_form_button.isEnabled(), timeout=10_000)
    QApplication.clipboard().clear()
    composer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is composer)
    qtbot.keyClick(composer, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert len(lines) == 3 and lines[0].startswith("pack_ref\titem\tcapture_id")
    assert {line.split("\t")[2] for line in lines[1:]} == {str(first), str(second)}
    assert "restrict" in next(line for line in lines[1:] if line.split("\t")[2] == str(first))
