"""The redaction editor from the keyboard: Ctrl+Shift+D in the viewer, N for a box,
arrows move it, Shift+arrows resize it, Tab cycles, Delete removes, a reason chosen,
a suggestion confirmed and one dismissed, a word marked, Apply through the task manager;
then the viewer shows the redacted copy.  On a real workspace (real detector, real OCR)."""

from __future__ import annotations

import hashlib
import io

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.core.redaction.support import drawn_face, png, text_advert
from tests.gui.guiutil import GUI_MARKS, wait_idle
from ui.common.session import Session
from ui.main.mainwindow import MainWindow
from ui.redaction.editor import RedactionEditor
from workstation.redaction.model import Box

pytestmark = GUI_MARKS


def _advert_with_face() -> bytes:
    canvas = Image.new("RGB", (900, 1000), "white")
    canvas.paste(text_advert(), (0, 0))
    canvas.paste(drawn_face(608), (146, 380))
    return png(canvas)


def _editor(qtbot: QtBot, window: MainWindow) -> RedactionEditor:
    window.views.select(1)
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_Return)
    viewer = window.viewer
    assert viewer is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer)
    viewer.redaction.redact_action.trigger()  # Ctrl+Shift+D
    editor = viewer.redaction.editor
    assert editor is not None
    qtbot.waitUntil(lambda: editor.canvas.size_px != (0, 0), timeout=10_000)
    return editor


def test_keyboard_boxes_suggestions_and_apply(qtbot: QtBot, window: MainWindow,
                                              session: Session) -> None:
    window.ops.import_bytes(_advert_with_face())
    wait_idle(qtbot, window)
    window.ops.run_ocr([1], lang="eng")
    wait_idle(qtbot, window, timeout=60_000)
    editor = _editor(qtbot, window)
    with qtbot.waitSignal(editor.suggestionsReady, timeout=60_000):
        pass
    canvas = editor.canvas
    assert canvas.size_px == (900, 1000)
    assert editor.canvas.accessibleName() == "Image to redact"
    canvas.setFocus()

    qtbot.keyClick(canvas, Qt.Key.Key_N)  # a box at the centre: 180x100 of 900x1000
    assert canvas.boxes() == [Box(360, 450, 180, 100, "third-party face", "manual")]
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    b = canvas.boxes()[0]
    assert (b.x, b.y, b.w, b.h) == (361, 460, 179, 101)
    editor.reason.setCurrentText("third-party name")
    assert canvas.boxes()[0].reason == "third-party name"
    qtbot.keyClick(canvas, Qt.Key.Key_N)
    assert canvas.chosen == 1
    qtbot.keyClick(canvas, Qt.Key.Key_Tab)
    assert canvas.chosen == 0 and canvas.hasFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Tab)
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert len(canvas.boxes()) == 1 and editor.box_list.count() == 1

    # suggestions: a face and the OCR'd phone number and e-mail address, none applied
    labels = [editor.suggestion_list.item(n).text()
              for n in range(editor.suggestion_list.count())]
    assert any(t.startswith("face") for t in labels), labels
    assert any(t.startswith("phone") for t in labels), labels
    phone_row = next(n for n, t in enumerate(labels) if t.startswith("phone"))
    editor.suggestion_list.setCurrentRow(phone_row)
    editor.confirm_button.click()
    editor.suggestion_list.setCurrentRow(0)
    editor.dismiss_button.click()
    assert editor.suggestion_list.count() == len(labels) - 2
    assert canvas.boxes()[-1].reason == "third-party phone number"
    # a name the analyst marks among the OCR words
    words = [editor.word_list.item(n).text() for n in range(editor.word_list.count())]
    safe = next(n for n, t in enumerate(words) if t.startswith("Safe"))
    editor.word_list.item(safe).setSelected(True)
    editor.mark_button.click()
    assert canvas.boxes()[-1].reason == "third-party name"
    assert canvas.boxes()[-1].source == "ocr"
    assert session.reader.redactions.current(1) is None  # nothing stored before Apply

    viewer = window.viewer
    assert viewer is not None
    with qtbot.waitSignal(editor.applied, timeout=30_000) as applied:
        editor.apply_button.click()
    redaction = session.reader.redactions.current(1)
    assert redaction is not None and redaction.id == applied.args[0]
    assert [b.reason for b in redaction.boxes] == [
        "third-party name", "third-party phone number", "third-party name"]
    qtbot.waitUntil(lambda: viewer.redaction.show_action.isChecked())
    assert viewer.redaction.show_action.isEnabled()
    data = session.reader.redactions.read_copy(redaction)
    assert hashlib.sha256(data).hexdigest() == redaction.sha256
    copy = Image.open(io.BytesIO(data)).convert("RGB")
    assert copy.getpixel((365, 465)) == (0, 0, 0)


def test_the_editor_starts_from_the_current_boxes(qtbot: QtBot, window: MainWindow,
                                                 session: Session) -> None:
    window.ops.import_bytes(png(text_advert()))
    wait_idle(qtbot, window)
    window.ops.run(
        "redact", lambda ws, _t: ws.redactions.redact(1, [Box(10, 10, 40, 40, "other")]))
    wait_idle(qtbot, window)
    editor = _editor(qtbot, window)
    qtbot.waitUntil(lambda: editor.box_list.count() == 1)
    assert editor.canvas.boxes() == [Box(10, 10, 40, 40, "other", "manual")]
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Tab)
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Delete)
    editor.apply_button.click()  # no box: refused in the status line, nothing stored
    assert "at least one box" in editor.status.text()
    assert len(session.reader.redactions.history(1)) == 1
