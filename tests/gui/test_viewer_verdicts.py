"""A verdict in the viewer re-reads only the indicators' statuses: the near-duplicates and
links (a second to compute on a large workspace) stay as they were, and the analyst's
place in the list and the keyboard focus too.  On a real workspace, read by the real
Tesseract."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.core.reading.test_review import advert_png
from tests.gui.guiutil import GUI_MARKS, wait_idle
from ui.common.session import Session
from ui.main.mainwindow import MainWindow
from ui.viewer.indicatorpanel import IndicatorsPanel

pytestmark = GUI_MARKS


def jpeg_of(png: bytes) -> bytes:
    """The same advert re-encoded: a repost, not a duplicate."""
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def stored(session: Session, capture_id: int) -> dict[tuple[str, str], str]:
    return {(r.kind, r.normalized): r.status
            for r in session.reader.reading.indicators(capture_id) if r.source == "ocr"}


def current_key(panel: IndicatorsPanel) -> tuple[str, str]:
    key = panel.current_key()
    assert key is not None
    return key


def test_a_verdict_rereads_the_statuses_not_the_reposts(
        qtbot: QtBot, window: MainWindow, session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    window.ops.import_bytes(advert_png())
    wait_idle(qtbot, window)
    window.ops.import_bytes(jpeg_of(advert_png()))
    wait_idle(qtbot, window)
    window.ops.run_ocr([1], lang="eng")
    wait_idle(qtbot, window, timeout=60_000)
    viewer = window.open_capture(1)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer)
    panel = viewer.indicators
    viewer.tabs.setCurrentWidget(panel)
    panel.setFocus()
    qtbot.waitUntil(panel.hasFocus)
    assert len(panel.indicator_items()) >= 4
    reposts = panel.topLevelItem(1)
    assert reposts is not None and reposts.text(0).startswith("Reposts")
    assert panel.linked_ids() == [2] and reposts.childCount() == 1

    # Count the slow reads from here on (the real methods, wrapped).
    reading = session.reader.reading
    calls: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(reading, name)
        return lambda *args, **kwargs: calls.append(name) or real(*args, **kwargs)

    for name in ("similar", "links", "keyword_hits"):
        monkeypatch.setattr(reading, name, counted(name))
    done: list[int] = []
    viewer.reviewed.connect(done.append)

    # C, C, C down the list without waiting: each confirmed, the cursor moves on.
    qtbot.keyClick(panel, Qt.Key.Key_N)
    first = current_key(panel)
    asked = []
    for _ in range(3):
        asked.append(current_key(panel))
        qtbot.keyClick(panel, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=10_000)
    assert asked[0] == first and len(set(asked)) == 3
    assert all(stored(session, 1)[key] == "confirmed" for key in asked)
    assert all(panel.status_of(*key) == "confirmed" for key in asked)
    # The cursor stayed where the analyst left it: on the next one to review.
    after = current_key(panel)
    assert after not in asked and panel.status_of(*after) == "found"
    assert panel.hasFocus()
    # The reposts section is the very same item, never re-read.
    assert calls == []
    assert panel.topLevelItem(1) is reposts and reposts.childCount() == 1
    header = panel.topLevelItem(0)
    pending = sum(1 for status in stored(session, 1).values() if status == "found")
    assert header is not None and f"{pending} to review" in header.text(0)

    # X on the current one, then U on it: the stored status shows, still in place.
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        qtbot.keyClick(panel, Qt.Key.Key_X)
    assert stored(session, 1)[after] == "rejected" and panel.status_of(*after) == "rejected"
    while current_key(panel) != after:
        qtbot.keyClick(panel, Qt.Key.Key_K)
    with qtbot.waitSignal(viewer.reviewed, timeout=10_000):
        qtbot.keyClick(panel, Qt.Key.Key_U)
    assert stored(session, 1)[after] == "found" and panel.status_of(*after) == "found"
    assert current_key(panel) == after and calls == []
    # The history shows every verdict.
    assert viewer.history.action_names()[-5:] == ["indicator.confirm"] * 3 + [
        "indicator.reject", "indicator.reset"]
    # Showing the capture again re-reads everything.
    viewer.refresh()
    assert "similar" in calls and panel.linked_ids() == [2]
