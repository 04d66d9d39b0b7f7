"""The desktop app driven through its widgets, on a real temporary workspace.

Each test starts the main window on a fresh workspace and works as an analyst
would: import a folder through the menu action, drop files, paste an image,
search, OCR with progress and cancel, open the viewer, edit notes and tags,
and read the audit trail.  OCR runs the real Tesseract.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.imagegen import make_image
from tests.ocr_images import sample
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.gallery.capturemodel import CaptureRole, ThumbRole
from ui.gallery.search import HtmlRole
from ui.gallery.sidebar import CaptureFilter
from ui.main.mainwindow import MainWindow
from ui.viewer.indicatorpanel import BoxRole

pytestmark = GUI_MARKS


def write_images(folder: Path, count: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"shot{i:02}.png"
        path.write_bytes(make_image(seed=i))
        paths.append(path)
    return paths


def sample_png(name: str, marker: int = 0) -> bytes:
    """A rendered advert; ``marker`` makes copies of the same sample distinct files."""
    image = sample(name).image.copy()
    image.putpixel((0, 0), (marker % 256, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def drop_on(w: MainWindow, mime: QMimeData) -> bool:
    """Drag ``mime`` over the window and drop it; whether the drop was accepted."""
    centre = w.views.geometry().center()
    where = QPointF(centre)
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w, drop)
    return drop.isAccepted()


def shown_ids(w: MainWindow) -> list[int]:
    return [w.proxy.index(r, 0).data(CaptureRole).id for r in range(w.proxy.rowCount())]


def error_texts() -> list[str]:
    return [top.text() for top in QApplication.topLevelWidgets()
            if isinstance(top, QMessageBox) and top.isVisible()]


def set_ocr_languages(qtbot: QtBot, w: MainWindow, langs: str) -> None:
    w.ops.set_setting("ocr_languages", langs)
    wait_idle(qtbot, w)


# ---------------------------------------------------------------------- tests
def test_import_folder_action_fills_gallery_table_and_sidebar(
        qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "incoming"
    write_images(folder, 3)
    (folder / "notes.txt").write_text("not an image")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))

    window.acts.import_folder.trigger()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3)
    wait_idle(qtbot, window)

    assert [r.status for r in window.last_import].count("imported") == 3
    assert any("notes.txt" in t for t in error_texts())
    assert "All captures (3)" in window.sidebar.entries()
    assert "Not yet OCR'd (3)" in window.sidebar.entries()
    # Newest first; thumbnails arrive lazily from the thread pool.
    assert shown_ids(window) == [3, 2, 1]
    qtbot.waitUntil(lambda: all(isinstance(window.proxy.index(r, 0).data(ThumbRole), QPixmap)
                                for r in range(3)))
    # The table alternative sorts by clicking a header.
    window.acts.table.trigger()
    assert window.views.mode == "table"
    window.views.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert shown_ids(window) == [1, 2, 3]
    window.views.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert shown_ids(window) == [3, 2, 1]
    assert window.proxy.index(0, 6).data() == "pending"


def test_drag_and_drop_files_and_folders(qtbot: QtBot, window: MainWindow,
                                         tmp_path: Path) -> None:
    loose = write_images(tmp_path / "loose", 2)
    nested = tmp_path / "case-folder"
    write_images(nested / "day1", 2, start=10)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in [*loose, nested]])

    assert drop_on(window, mime)
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 4)
    wait_idle(qtbot, window)

    # Dropping the same files again captures nothing new.
    assert drop_on(window, mime)
    wait_idle(qtbot, window)
    assert window.proxy.rowCount() == 4
    assert {r.status for r in window.last_import} == {"duplicate"}
    assert "4 already captured" in window.statusBar().currentMessage()

    # An image dragged out of a browser arrives as data, kept byte-exact.
    picture = QMimeData()
    png = make_image(seed=77)
    picture.setData("image/png", png)
    assert drop_on(window, picture)
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 5)
    wait_idle(qtbot, window)
    newest = window.model.capture(5)
    assert newest is not None and newest.size == len(png)


def test_paste_then_details_form_with_keyboard_only(qtbot: QtBot, window: MainWindow,
                                                   prefs: Preferences) -> None:
    prefs.ask_details = True
    QGuiApplication.clipboard().setImage(QImage.fromData(make_image(seed=99)))
    window.activateWindow()
    window.views.gallery.setFocus()
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: window.details_form is not None and window.details_form.isVisible())
    form = window.details_form
    assert form is not None
    capture = window.model.capture(form.capture_ids[0])
    assert capture is not None and capture.capture_method == "paste"
    qtbot.keyClicks(form.url, "https://www.facebook.com/safe.trips.uk/posts/123456")
    line = form.case.lineEdit()
    assert line is not None
    qtbot.keyClicks(line, "Op Channel")
    qtbot.keyClicks(form.notes, "boat crossing advert")
    qtbot.keyClick(form.notes, Qt.Key.Key_Return)

    def applied() -> bool:
        c = window.model.capture(capture.id)
        return c is not None and c.case == "Op Channel"

    qtbot.waitUntil(applied)
    edited = window.model.capture(capture.id)
    assert edited is not None
    assert edited.platform == "facebook"  # inferred by the core from the URL
    assert edited.notes == "boat crossing advert"
    qtbot.waitUntil(lambda: "Op Channel (1)" in window.sidebar.entries())
    window.show_filter(CaptureFilter("case", str(edited.case_id)))
    assert shown_ids(window) == [capture.id]
    window.show_filter(CaptureFilter("platform", "facebook"))
    assert shown_ids(window) == [capture.id]


def test_search_box_shows_highlighted_snippets(qtbot: QtBot, window: MainWindow,
                                               tmp_path: Path) -> None:
    window.import_paths([str(p) for p in write_images(tmp_path / "in", 3)])
    wait_idle(qtbot, window)
    window.ops.edit([2], {"notes": "Boats to Dover, call +44 7700 900123 now"})
    wait_idle(qtbot, window)

    window.activateWindow()
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search_box.hasFocus()
    with qtbot.waitSignal(window.searched, timeout=10_000):
        qtbot.keyClicks(window.search_box, "dover")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)

    assert window.search_panel.isVisible()
    model = window.search_panel.model
    assert model.rowCount() == 1
    html = model.index(0, 0).data(HtmlRole)
    assert "<b style=" in html and ">Dover</b>" in html  # the word as written, marked
    assert shown_ids(window) == [2]
    assert not window.sidebar.selectedItems()
    # Clearing the search brings back everything.
    window.search_box.clear()
    window.run_search()
    assert not window.search_panel.isVisible()
    assert len(shown_ids(window)) == 3
    # A search overtaken by newer typing never shows: only the last query's hits land.
    with qtbot.waitSignal(window.searched, timeout=10_000) as last:
        window.search_box.setText("dover")
        window.run_search()
        window.search_box.setText("nothingmatchesthis")
        window.run_search()
    assert last.args == ["nothingmatchesthis"]
    qtbot.wait(200)  # the overtaken result would have landed by now
    assert window.search_panel.model.rowCount() == 0
    assert "Nothing matches" in window.search_panel.summary.text()
    assert shown_ids(window) == []


def test_ocr_progress_and_cancel_keeps_finished_results(qtbot: QtBot, window: MainWindow,
                                                        session: Session) -> None:
    set_ocr_languages(qtbot, window, "eng")
    for i in range(8):
        window.ops.import_bytes(sample_png("english_small", i))
    wait_idle(qtbot, window)
    assert len(window.model.pending_ids()) == 8

    window.activateWindow()
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_R,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    status = window.task_status
    qtbot.waitUntil(lambda: len(window.model.pending_ids()) < 8, timeout=30_000)
    assert status.isVisible() and status.label.text().startswith("OCR")
    assert status.bar.maximum() == 8
    qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)

    finished = [o.capture_id for o in window.last_ocr if o.status == "done"]
    assert 1 <= len(finished) < 8
    assert not status.isVisible()
    # Results kept: finished captures have their text; the rest are still pending.
    assert window.model.pending_ids() == set(session.reader.reading.pending_ocr())
    assert len(window.model.pending_ids()) == 8 - len(finished)
    run = session.reader.reading.current_ocr(finished[0])
    assert run is not None and len(run.text.split()) > 5
    assert f"Not yet OCR'd ({8 - len(finished)})" in window.sidebar.entries()


def test_capture_is_ocrd_automatically_and_its_text_searchable(
        qtbot: QtBot, window: MainWindow, prefs: Preferences, session: Session) -> None:
    set_ocr_languages(qtbot, window, "eng")
    prefs.auto_ocr = True
    QGuiApplication.clipboard().setImage(QImage.fromData(sample_png("english")))
    window.acts.paste.trigger()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1)
    qtbot.waitUntil(lambda: not window.model.pending_ids() and not session.tasks.busy,
                    timeout=30_000)
    assert [o.status for o in window.last_ocr] == ["done"]
    with qtbot.waitSignal(window.searched, timeout=10_000):
        window.search_box.setText("whatsapp")
        window.run_search()
    assert window.search_panel.model.rowCount() == 1
    assert "whatsapp" in window.search_panel.model.index(0, 0).data().lower()


def test_viewer_boxes_rtl_text_links_and_word_click(qtbot: QtBot, window: MainWindow,
                                                   session: Session) -> None:
    set_ocr_languages(qtbot, window, "ara+eng")
    window.ops.import_bytes(sample_png("mixed", 1))
    window.ops.import_bytes(sample_png("mixed", 2))
    wait_idle(qtbot, window)
    # Both adverts name the same WhatsApp number in their notes: that links them.
    window.ops.edit([1, 2], {"notes": "WhatsApp +44 7700 900123"})
    window.views.gallery.selectAll()
    window.activateWindow()
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window, timeout=60_000)
    assert not window.model.pending_ids()

    window.views.select(1)
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_Return)
    viewer = window.viewer
    assert viewer is not None and viewer.capture is not None and viewer.capture.id == 1
    qtbot.waitUntil(lambda: viewer.image_loaded)

    # Word boxes over the image, toggled with B.
    assert len(viewer.image.boxes) > 5
    assert viewer.image.boxes_visible
    viewer.boxes_action.trigger()
    assert not viewer.image.boxes_visible
    viewer.boxes_action.trigger()
    # Arabic lines run right to left, Latin ones left to right.
    directions = viewer.text.directions()
    arabic = [d for t, d in directions if any("\u0600" <= c <= "\u06ff" for c in t)]
    assert arabic and set(arabic) == {Qt.LayoutDirection.RightToLeft}
    latin = [d for t, d in directions if t.startswith("Safar")]
    assert latin and set(latin) == {Qt.LayoutDirection.LeftToRight}
    # Clicking a box selects it and copies its word.
    box = next(b for b in viewer.image.boxes if b.text.isascii() and b.text.isalpha()
               and len(b.text) >= 4)
    point = viewer.image.mapFromScene(box.rect().center())
    qtbot.mouseClick(viewer.image.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert viewer.image.chosen is box
    assert QGuiApplication.clipboard().text() == box.text
    assert viewer.text.textCursor().selectedText() == box.text
    # The shared number links the two captures; activating the link opens the other.
    assert 2 in viewer.indicators.linked_ids()
    tree = viewer.indicators
    link = next(item for item in tree.findItems("capture #2", Qt.MatchFlag.MatchContains
                                                | Qt.MatchFlag.MatchRecursive))
    tree.setFocus()
    tree.setCurrentItem(link)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert viewer.capture.id == 2
    assert viewer.details.value("SHA-256") == session.reader.captures.get(2).sha256
    assert "ocr.run" in viewer.history.action_names()
    # Choosing an indicator outlines where it was read (notes have no place).
    phone = next(item for item in tree.findItems("phone:", Qt.MatchFlag.MatchContains
                                                 | Qt.MatchFlag.MatchRecursive))
    tree.setCurrentItem(phone)
    assert viewer.image.highlight_item.isVisible() == bool(phone.data(0, BoxRole))
    ocr_box = next((i.box for i in session.reader.reading.indicators(2) if i.box), None)
    if ocr_box is not None:
        viewer.image.highlight(ocr_box)
        assert viewer.image.highlight_item.isVisible()
    # Zoom keys.
    before = viewer.image.zoom
    viewer.image.setFocus()
    qtbot.keyClick(viewer.image, Qt.Key.Key_Plus)
    assert viewer.image.zoom > before
    qtbot.keyClick(viewer.image, Qt.Key.Key_0)
    # The number is searchable from the main window, in any spelling.
    with qtbot.waitSignal(window.searched, timeout=10_000):
        window.search_box.setText("447700900123")
        window.run_search()
    assert window.search_panel.model.rowCount() == 2, window.search_panel.summary.text()


def test_notes_tags_undo_and_audit_history(qtbot: QtBot, window: MainWindow,
                                           tmp_path: Path) -> None:
    window.import_paths([str(p) for p in write_images(tmp_path / "in", 1)])
    wait_idle(qtbot, window)
    viewer = window.open_capture(1)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer)
    panel = viewer.annotations
    viewer.tabs.setCurrentWidget(panel)
    panel.notes.setFocus()
    qtbot.keyClicks(panel.notes, "Seen in a Calais group")
    qtbot.keyClick(panel.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.tag_entry, "boat, priority")
    qtbot.keyClick(panel.tag_entry, Qt.Key.Key_Return)
    wait_idle(qtbot, window)

    assert viewer.capture is not None
    assert viewer.capture.notes == "Seen in a Calais group"
    assert viewer.capture.tags == ("boat", "priority")
    assert viewer.history.action_names()[-2:] == ["capture.edit", "capture.tag"]
    assert any("Calais" in line for line in viewer.history.lines())
    model_capture = window.model.capture(1)
    assert model_capture is not None and model_capture.tags == ("boat", "priority")

    viewer.undo_action.trigger()  # the tags
    wait_idle(qtbot, window)
    assert viewer.capture.tags == ()
    viewer.undo_action.trigger()  # the notes
    wait_idle(qtbot, window)
    assert viewer.capture.notes == ""
    assert panel.notes.toPlainText() == ""
    viewer.redo_action.trigger()
    wait_idle(qtbot, window)
    assert viewer.capture.notes == "Seen in a Calais group"
    assert viewer.history.action_names()[-3:] == ["capture.untag", "capture.edit",
                                                  "capture.edit"]

    audit = window.show_audit()
    audit.set_capture(1)
    actions = {e.action for e in audit.model.entries}
    assert {"capture.import", "capture.edit", "capture.tag", "capture.untag"} <= actions
    # The action filter offers every action the trail holds, once each, sorted.
    offered = [audit.action.itemData(i) for i in range(1, audit.action.count())]
    assert offered == sorted({e.action for e in window.reader.audit_entries()})
    audit.action.setCurrentIndex(audit.action.findData("capture.tag"))
    assert [e.action for e in audit.model.entries] == ["capture.tag"]
    audit.close()


def test_verify_shows_the_report(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.import_paths([str(p) for p in write_images(tmp_path / "in", 2)])
    wait_idle(qtbot, window)
    window.acts.verify.trigger()
    wait_idle(qtbot, window)
    dialog = window.findChild(QMessageBox) or None
    assert dialog is None
    from ui.audit.auditview import VerifyDialog

    found = [d for d in window.findChildren(VerifyDialog) if d.isVisible()]
    assert found and found[0].summary.text().startswith("OK: 2 evidence files")
    found[0].close()


def test_wellbeing_blurs_until_revealed(qtbot: QtBot, window: MainWindow,
                                        tmp_path: Path) -> None:
    window.import_paths([str(p) for p in write_images(tmp_path / "in", 1)])
    wait_idle(qtbot, window)
    assert window.wellbeing.treatment(1) == "blur"
    index = window.proxy.index(0, 0)
    qtbot.waitUntil(lambda: isinstance(index.data(ThumbRole), QPixmap))
    blurred = index.data(ThumbRole).toImage()

    window.acts.reveal.trigger()
    assert window.wellbeing.treatment(1) == "off"
    qtbot.waitUntil(lambda: isinstance(index.data(ThumbRole), QPixmap))
    revealed = index.data(ThumbRole).toImage()
    assert blurred.size() == revealed.size() and blurred != revealed
    window.acts.reveal.trigger()

    viewer = window.open_capture(1)
    qtbot.waitUntil(lambda: viewer.image_loaded)
    assert not viewer.reveal_action.isChecked()
    viewer.reveal_action.trigger()  # this image only
    assert window.wellbeing.treatment(1) == "off"
    assert viewer.reveal_action.isChecked()


def test_heic_original_is_shown_from_its_thumbnail(qtbot: QtBot, window: MainWindow,
                                                    tmp_path: Path) -> None:
    """Qt cannot decode HEIC (iPhone screenshots): the viewer falls back to the thumbnail,
    scaled to the original's size so OCR boxes still line up."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    path = tmp_path / "iphone.heic"
    path.write_bytes(make_image(width=300, height=500, fmt="HEIF", seed=7))
    window.import_paths([str(path)])
    wait_idle(qtbot, window)
    assert [r.status for r in window.last_import] == ["imported"]
    viewer = window.open_capture(1)
    qtbot.waitUntil(lambda: viewer.image_loaded)
    assert "thumbnail" in viewer.banner.text()
    assert viewer.image.scene().sceneRect().size().toSize().width() == 300


def test_watched_folder_imports_new_images(qtbot: QtBot, window: MainWindow,
                                           tmp_path: Path) -> None:
    folder = tmp_path / "screenshots"
    write_images(folder, 1)  # already there: not imported
    window.watch(str(folder))
    (folder / "new.png").write_bytes(make_image(seed=42))
    window.watcher.scan()  # seen: reported once its size holds still until the next scan
    assert window.proxy.rowCount() == 0
    window.watcher.scan()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=10_000)
    capture = window.model.captures()[0]
    assert capture.capture_method == "watch" and capture.original_filename == "new.png"
    assert "Watching" in window.watch_label.text()


def test_shortcuts_cover_frequent_actions(window: MainWindow) -> None:
    keys = {a.objectName(): a.shortcut().toString() for a in window.acts.all}
    assert keys["action_import_files"] == "Ctrl+O"
    assert keys["action_paste"] == "Ctrl+V"
    assert keys["action_search"] == "Ctrl+F"
    assert keys["action_ocr"] == "Ctrl+R"
    assert keys["action_open"] == "Return"
    window.acts.shortcuts.trigger()
    assert any("Ctrl+R" in t for t in error_texts())


def test_window_state_is_remembered(qtbot: QtBot, session: Session,
                                    prefs: Preferences) -> None:
    first = MainWindow(session, prefs)
    first.show()
    first.resize(700, 500)
    first.set_view_mode("table")
    first.close()
    second = MainWindow(session, prefs)
    qtbot.addWidget(second)
    assert second.views.mode == "table"
    assert second.size().width() == 700
