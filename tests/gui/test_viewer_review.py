"""Reviewing indicators in the viewer from the keyboard alone, and the regions OCR left
unread drawn over the image; on a real workspace, read by the real Tesseract."""

from __future__ import annotations

import io

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.core.reading.test_review import PHONE, advert_png
from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.ocr_images import Line, plain_image
from ui.common.session import Session
from ui.main.mainwindow import MainWindow
from ui.viewer.imageview import UNREAD_COLOUR, UnreadRegion
from ui.viewer.indicatorpanel import IndicatorsPanel, StatusRole
from ui.viewer.viewer import ViewerWindow
from workstation.reading.summary import reading_summary

pytestmark = GUI_MARKS
SYMBOLS = "NotoSansMath-Regular.ttf"


def stored(session: Session, capture_id: int) -> dict[tuple[str, str], str]:
    """The status of each OCR indicator as the workspace holds it."""
    return {(r.kind, r.normalized): r.status
            for r in session.reader.reading.indicators(capture_id) if r.source == "ocr"}


def current_key(panel: IndicatorsPanel) -> tuple[str, str]:
    key = panel.current_key()
    assert key is not None
    return key


def test_keyboard_only_confirm_reject_and_reset(qtbot: QtBot, window: MainWindow,
                                                session: Session) -> None:
    window.ops.import_bytes(advert_png())
    wait_idle(qtbot, window)
    window.ops.run_ocr([1], lang="eng")
    wait_idle(qtbot, window, timeout=60_000)
    assert set(stored(session, 1).values()) == {"found"}

    window.views.select(1)
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_Return)
    viewer = window.viewer
    assert viewer is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer)
    # Alt+I opens the indicators tab; the panel takes the keys from there on.
    qtbot.keyClick(viewer, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    panel = viewer.indicators
    assert viewer.tabs.currentWidget() is panel
    panel.setFocus()
    qtbot.waitUntil(panel.hasFocus)
    items = panel.indicator_items()
    assert len(items) >= 3 and all(i.data(0, StatusRole) == "found" for i in items)

    # N: the first one to review; C confirms it and moves on to the next one.
    qtbot.keyClick(panel, Qt.Key.Key_N)
    first = current_key(panel)
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        qtbot.keyClick(panel, Qt.Key.Key_C)
    assert stored(session, 1)[first] == "confirmed"
    assert panel.status_of(*first) == "confirmed"
    second = current_key(panel)
    assert second != first and panel.status_of(*second) == "found"
    # X rejects the one now current.
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        qtbot.keyClick(panel, Qt.Key.Key_X)
    assert stored(session, 1)[second] == "rejected"
    # K goes back up; U withdraws the verdict.
    while current_key(panel) != second:
        qtbot.keyClick(panel, Qt.Key.Key_K)
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        qtbot.keyClick(panel, Qt.Key.Key_U)
    assert stored(session, 1)[second] == "found"
    assert panel.status_of(*second) == "found"
    # Every verdict is in the capture's history, by this analyst.
    wait_idle(qtbot, window)
    actions = [e.action for e in session.reader.audit_entries(capture_id=1)]
    assert actions[-3:] == ["indicator.confirm", "indicator.reject", "indicator.reset"]
    assert viewer.history.action_names()[-3:] == actions[-3:]
    # The same actions are in the panel's context menu, with their keys.
    shortcuts = {a.shortcut().toString() for a in panel.actions()}
    assert {"C", "X", "U", "N", "J", "K"} <= shortcuts
    assert panel.accessibleName() == "Indicators"
    assert PHONE in {k for _kind, k in stored(session, 1)}
    # "Confirm all still to review" (context menu): every one confirmed, each audited.
    left = [k for k, status in stored(session, 1).items() if status == "found"]
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        panel.confirm_all_action.trigger()
    assert set(stored(session, 1).values()) == {"confirmed"}
    assert [e.action for e in session.reader.audit_entries(capture_id=1)][-len(left):] == \
        ["indicator.confirm"] * len(left)
    header = panel.topLevelItem(0)
    assert header is not None and "0 to review" in header.text(0)


def symbols_png() -> bytes:
    """An advert with two rows of mathematical symbols: ink that no language model reads."""
    image, _boxes = plain_image([[Line("Boat to UK every week, safe trip")],
                                 [Line("WhatsApp +44 7700 900123")],
                                 [Line("⊕⊗⊘⊙⊚⊛⊜⊝⊞⊟⊠⊡⋈⋉⋊⋋⋌", SYMBOLS, 40)],
                                 [Line("⊕⊗⊘⊙⊚⊛⊜⊝⊞⊟⊠⊡⋈⋉⋊⋋⋌", SYMBOLS, 40)]])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def unread_items(viewer: ViewerWindow) -> list[UnreadRegion]:
    return [i for i in viewer.image.scene().items() if isinstance(i, UnreadRegion)]


def test_regions_left_unread_are_outlined_and_counted(qtbot: QtBot, window: MainWindow,
                                                      session: Session) -> None:
    window.ops.import_bytes(symbols_png())
    wait_idle(qtbot, window)
    window.ops.run_ocr([1], lang="eng")
    wait_idle(qtbot, window, timeout=60_000)
    run = session.reader.reading.current_ocr(1)
    assert run is not None and run.unread, "the symbol rows should be left unread"
    viewer = window.open_capture(1)
    regions = unread_items(viewer)
    assert sorted(r.box for r in regions) == sorted(tuple(b) for b in run.unread)
    assert all(r.pen().color() == UNREAD_COLOUR and "Not read" in r.toolTip() for r in regions)
    # The reading's summary: languages, share read, regions not read (also in Details).
    summary = reading_summary(run)
    assert "English" in summary and "% of text read" in summary
    assert f"{len(run.unread)} region" in summary and "not read" in summary
    assert viewer.details.value("Reading") == summary
    assert viewer.banner.text().startswith(summary) and "magenta" in viewer.banner.text()
    # Hiding the word boxes (B) leaves the unread regions shown.
    viewer.boxes_action.trigger()
    assert not viewer.image.boxes_visible and all(r.isVisible() for r in regions)
    # Another capture without unread regions clears them.
    window.ops.import_bytes(advert_png())
    wait_idle(qtbot, window)
    viewer.show_capture(2)
    assert unread_items(viewer) == [] and "not read" not in viewer.banner.text()
