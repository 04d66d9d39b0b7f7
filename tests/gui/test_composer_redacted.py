"""The redacted copy in the window: an item of the pack composer goes as its redacted copy
when the analyst chooses it (Ctrl+Shift+E on the item, or the item's dialog, F2), only
for a capture that has one; the preview shows the copy and the sealed manifest records
it.  The redaction editor blurs the picture as the wellbeing mode says until revealed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyrage
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QGraphicsPixmapItem, QMessageBox
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, answer_next_passphrase, wait_idle
from tests.gui.test_window import sample_png
from tests.issuer import set_issuer
from ui.main.mainwindow import MainWindow
from ui.packs.composer_items import IMAGE_COLUMN, ORIGINAL, REDACTED_COPY
from ui.redaction.editor import RedactionEditor
from workstation.crypto.age import decrypt_file
from workstation.models import CaptureMeta
from workstation.redaction.model import Box

pytestmark = GUI_MARKS

SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_choose_the_redacted_copy_for_an_item_from_the_keyboard(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    w = window
    w.ops.run("Keys", lambda ws, _t: (set_issuer(ws), ws.keys.init()),
              changed=(w.ops.contactsChanged,))
    answer_next_passphrase(qtbot, w)
    wait_idle(qtbot, w)
    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "platform-key.txt"
    key_file.write_text(f"{identity}\n")
    w.ops.run("Contact", lambda ws, _t: ws.contacts.add(
        "facebook", "Trust and Safety", "ts@facebook.example", [str(identity.to_public())]),
        changed=(w.ops.contactsChanged,))
    paths = [tmp_path / "one.png", tmp_path / "two.png"]
    for marker, path in enumerate(paths, start=1):
        path.write_bytes(sample_png("english", marker=marker))
    w.ops.import_paths(paths, meta=CaptureMeta(
        platform="facebook", source_url="https://www.facebook.com/groups/crossings/posts/1"))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.model.captures()) == 2, timeout=10_000)
    copied, plain = sorted(c.id for c in w.model.captures())
    w.ops.run("Redact", lambda ws, _t: ws.redactions.redact(
        copied, [Box(10, 10, 120, 40, "third-party phone number")]))
    wait_idle(qtbot, w)
    redaction = w.reader.redactions.current(copied)
    assert redaction is not None

    w.views.current_view().selectAll()
    composer = w.new_pack()
    qtbot.waitUntil(lambda: composer.readiness() is not None, timeout=10_000)
    table = composer.items
    rows = {capture_id: row for row, capture_id in enumerate(composer.capture_ids())}
    assert table.horizontalHeaderItem(IMAGE_COLUMN).text() == "Image"
    assert [table.item(r, IMAGE_COLUMN).text() for r in range(2)] == [ORIGINAL, ORIGINAL]
    assert "redacted copy exists" in table.item(rows[copied], IMAGE_COLUMN).toolTip()
    composer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is composer)
    table.setFocus()

    # Ctrl+Shift+E on the capture without a copy: refused, said in the status line
    table.selectRow(rows[plain])
    qtbot.keyClick(table, Qt.Key.Key_E, SHIFT_CTRL)
    assert table.item(rows[plain], IMAGE_COLUMN).text() == ORIGINAL
    assert f"#{plain}" in composer.status.text() and "no redacted copy" in composer.status.text()
    # ... and its dialog (F2) cannot choose one
    qtbot.keyClick(table, Qt.Key.Key_F2)
    dialog = table.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClick(dialog.image_box, Qt.Key.Key_Down)
    assert not dialog.redacted()
    qtbot.keyClick(dialog.image_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: table.dialog is None)

    # Ctrl+Shift+E on the capture with a copy: sent as the copy; again: the original
    composer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is composer)
    table.setFocus()
    table.selectRow(rows[copied])
    qtbot.keyClick(table, Qt.Key.Key_E, SHIFT_CTRL)
    assert table.item(rows[copied], IMAGE_COLUMN).text() == REDACTED_COPY
    assert table.redacted() == [copied]
    qtbot.keyClick(table, Qt.Key.Key_E, SHIFT_CTRL)
    assert table.item(rows[copied], IMAGE_COLUMN).text() == ORIGINAL and not table.redacted()
    # the item's dialog (F2): Tab to "Image sent", Down to the copy, Return
    qtbot.keyClick(table, Qt.Key.Key_F2)
    dialog = table.dialog
    assert dialog is not None and dialog.focusWidget() is dialog.action_box
    for _ in range(5):  # action, priority, deadline, policy, reason
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.image_box
    qtbot.keyClick(dialog.image_box, Qt.Key.Key_Down)
    assert dialog.redacted()
    with qtbot.waitSignal(table.imageChanged, timeout=5_000):
        qtbot.keyClick(dialog.image_box, Qt.Key.Key_Return)
    assert table.item(rows[copied], IMAGE_COLUMN).text() == REDACTED_COPY
    assert composer.choices()["redacted"] == [copied]

    # The preview shows the copy (its SHA-256) for that item, the original for the other
    with qtbot.waitSignal(composer.previewed, timeout=20_000) as previewed:
        qtbot.mouseClick(composer.preview_button, Qt.MouseButton.LeftButton)
    text = previewed.args[0].browser.toPlainText()
    assert redaction.sha256 in text and redaction.original_sha256 not in text
    assert w.reader.captures.get(plain).sha256 in text
    previewed.args[0].close()

    with qtbot.waitSignal(composer.sealed, timeout=60_000) as sealed:
        qtbot.mouseClick(composer.seal_button, Qt.MouseButton.LeftButton)
        confirm = composer.confirm_box
        assert confirm is not None and confirm.isVisible()
        qtbot.mouseClick(confirm.button(QMessageBox.StandardButton.Yes),
                         Qt.MouseButton.LeftButton)
    pack = sealed.args[0]
    assert pack.file is not None
    opened = tmp_path / "pack.zip"
    decrypt_file(pack.file, opened, key_file)
    manifest = json.loads(zipfile.ZipFile(opened).read("manifest.json"))
    items = {item["capture_id"]: item for item in manifest["items"]}
    assert items[copied]["redacted"] == {
        "sha256": redaction.sha256, "original_sha256": redaction.original_sha256,
        "log_sha256": redaction.log_sha256, "redaction_id": redaction.id}
    assert items[copied]["files"][0]["role"] == "redacted"
    assert "redacted" not in items[plain]
    assert items[plain]["files"][0]["role"] == "original"


def _pixel(editor: RedactionEditor, x: int, y: int) -> QColor:
    [item] = [i for i in editor.canvas.scene().items() if isinstance(i, QGraphicsPixmapItem)]
    return item.pixmap().toImage().pixelColor(x, y)


def test_the_editor_starts_blurred_until_revealed(qtbot: QtBot, window: MainWindow) -> None:
    image = Image.new("RGB", (400, 400), "white")
    image.paste((0, 0, 0), (0, 0, 200, 400))  # a sharp edge a blur softens
    out = io.BytesIO()
    image.save(out, "PNG")
    window.ops.import_bytes(out.getvalue())
    wait_idle(qtbot, window)
    assert window.wellbeing.mode == "blur"
    window.views.select(1)
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_Return)
    viewer = window.viewer
    assert viewer is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer)
    viewer.redaction.redact_action.trigger()  # Ctrl+Shift+D
    editor = viewer.redaction.editor
    assert editor is not None
    qtbot.waitUntil(lambda: editor.canvas.size_px == (400, 400), timeout=10_000)
    assert editor.treatment() == "blur" and not editor.reveal_action.isChecked()
    assert editor.reveal_button.isVisible()
    assert _pixel(editor, 195, 200) != QColor(0, 0, 0)  # blurred
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.canvas.setFocus()
    qtbot.keyClick(editor.canvas, Qt.Key.Key_R)  # Reveal
    assert editor.treatment() == "off" and editor.reveal_action.isChecked()
    assert _pixel(editor, 195, 200) == QColor(0, 0, 0)
    assert window.wellbeing.is_revealed(1)  # the viewer follows
    assert editor.canvas.boxes() == []  # R is not a box key
    qtbot.mouseClick(editor.reveal_button, Qt.MouseButton.LeftButton)  # hidden again
    assert editor.treatment() == "blur" and _pixel(editor, 195, 200) != QColor(0, 0, 0)
    editor.close()
