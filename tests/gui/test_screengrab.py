"""Screen-region capture, driven through real widgets on the offscreen platform.

The overlays are given frozen grabs painted with a known pattern, so a drag can
be checked pixel for pixel (including a HiDPI grab twice the logical size).
Through the main window: the region lands in the workspace as a "screen"
capture (details form and OCR follow), Esc brings the windows back without a
capture, a desktop screenshot tool (a small stand-in script on ``PATH``) is
used when the screen cannot be grabbed, and with no tool either a clear error
box says what to install.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS
from tests.imagegen import make_image
from ui.capture.screengrab import (
    FrozenScreen,
    RegionOverlay,
    RegionSelector,
    ScreenGrabber,
    ScreenshotTool,
)
from ui.capture.sources import png_bytes
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.main.mainwindow import MainWindow

pytestmark = GUI_MARKS


@pytest.fixture
def no_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``PATH``: no screenshot tool is installed (a test may add one)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    return folder


def pattern(width: int, height: int, dpr: float = 1.0, seed: int = 0) -> QPixmap:
    """A frozen grab: cells of 7×7 device pixels, each its own colour."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    for y in range(0, height, 7):
        for x in range(0, width, 7):
            n = (x // 7) * 131 + (y // 7) * 7 + seed * 17
            painter.fillRect(x, y, 7, 7, QColor(n % 256, (n // 256) % 256, (x + y) % 256))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def frozen(dpr: float = 1.0, seed: int = 0) -> FrozenScreen:
    geometry = QGuiApplication.primaryScreen().geometry()
    return FrozenScreen(QGuiApplication.primaryScreen(),
                        pattern(int(geometry.width() * dpr), int(geometry.height() * dpr),
                                dpr, seed))


def rgb(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_RGB32)


def drag(qtbot: QtBot, overlay: RegionOverlay, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(overlay, end)
    qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=end)


def error_boxes() -> list[QMessageBox]:
    return [top for top in QApplication.topLevelWidgets()
            if isinstance(top, QMessageBox) and top.objectName() == "errorBox"
            and top.isVisible()]


def fake_tool(folder: Path, name: str, body: str) -> Path:
    """A stand-in screenshot program: a Python script (absolute interpreter, so it runs
    with the test's bare ``PATH``)."""
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport json, os, sys, time\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# ------------------------------------------------------------ the overlays
def test_drag_crops_the_frozen_grab_in_device_pixels(qtbot: QtBot) -> None:
    grab = frozen(dpr=2.0)
    selector = RegionSelector([grab])
    selector.start()
    overlay = selector.overlays[0]
    qtbot.waitExposed(overlay)
    assert overlay.geometry() == QGuiApplication.primaryScreen().geometry()
    assert overlay.cursor().shape() == Qt.CursorShape.CrossCursor
    flags = overlay.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    dark = overlay.grab().toImage()

    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=QPoint(60, 45))
    qtbot.mouseMove(overlay, QPoint(10, 20))  # dragged up and left: still a rectangle
    assert overlay.selection == QRect(10, 20, 50, 25)
    lit = overlay.grab().toImage()
    inside, outside = QPoint(35, 32), QPoint(700, 700)
    assert lit.pixelColor(inside).lightness() > dark.pixelColor(inside).lightness()
    assert lit.pixelColor(outside) == dark.pixelColor(outside)  # still darkened

    with qtbot.waitSignal(selector.selected, timeout=5000) as blocker:
        qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=QPoint(10, 20))
    image = blocker.args[0]
    assert isinstance(image, QImage)
    assert (image.width(), image.height()) == (100, 50)  # logical 50×25 at ratio 2
    expected = grab.pixmap.toImage().copy(QRect(20, 40, 100, 50))
    assert rgb(image) == rgb(expected)
    assert selector.overlays == []
    qtbot.waitUntil(lambda: not overlay.isVisible(), timeout=5000)


def test_escape_or_right_click_cancels_on_every_screen(qtbot: QtBot) -> None:
    selector = RegionSelector([frozen(seed=1), frozen(seed=2)])
    selector.start()
    first, second = selector.overlays
    qtbot.waitExposed(second)
    # A click without a drag selects nothing and keeps the overlays up.
    with qtbot.assertNotEmitted(selector.selected, wait=50):
        drag(qtbot, first, QPoint(100, 100), QPoint(101, 101))
    assert first.isVisible() and first.selection.isEmpty()
    with qtbot.waitSignal(selector.cancelled, timeout=5000):
        qtbot.keyClick(second, Qt.Key.Key_Escape)
    assert not first.isVisible() and not second.isVisible()

    again = RegionSelector([frozen()])
    again.start()
    overlay = again.overlays[0]
    qtbot.waitExposed(overlay)
    with qtbot.waitSignal(again.cancelled, timeout=5000):
        qtbot.mouseClick(overlay, Qt.MouseButton.RightButton, pos=QPoint(50, 50))
    assert not overlay.isVisible()


# ------------------------------------------------------- the main window
def test_region_lands_in_the_workspace_as_a_screen_capture(
        qtbot: QtBot, window: MainWindow, prefs: Preferences, session: Session) -> None:
    action = window.acts.capture_region
    assert action.shortcut().toString() == "Ctrl+Shift+S"
    assert action in window.menuBar().actions()[0].menu().actions()
    prefs.ask_details = True
    prefs.auto_ocr = True

    grabber = window.capture_screen_region(grab=lambda: [frozen(dpr=2.0)])
    assert not window.isVisible()  # hidden before the screen is grabbed
    qtbot.waitUntil(lambda: grabber.selector is not None
                    and grabber.selector.overlays[0].isVisible(), timeout=5000)
    assert grabber.selector is not None
    overlay = grabber.selector.overlays[0]
    with qtbot.waitSignal(grabber.captured, timeout=5000) as blocker:
        drag(qtbot, overlay, QPoint(100, 100), QPoint(300, 250))
    image = blocker.args[0]
    assert (image.width(), image.height()) == (400, 300)
    assert window.isVisible()

    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=10_000)
    capture = window.model.captures()[0]
    assert capture.capture_method == "screen"
    assert (capture.width, capture.height) == (400, 300)
    assert capture.sha256 == hashlib.sha256(png_bytes(image)).hexdigest()
    stored = session.reader.captures.evidence_path(capture).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == capture.sha256
    # As after a paste: the details form, and OCR on its own.
    qtbot.waitUntil(lambda: window.details_form is not None
                    and window.details_form.isVisible(), timeout=10_000)
    assert window.details_form is not None
    assert window.details_form.capture_ids == [capture.id]
    window.details_form.reject()
    qtbot.waitUntil(lambda: not session.tasks.busy and capture.id not in
                    session.reader.reading.pending_ocr(), timeout=60_000)
    assert [o.capture_id for o in window.last_ocr] == [capture.id]


def test_escape_brings_the_windows_back_without_a_capture(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    shot = tmp_path / "advert.png"
    shot.write_bytes(make_image(seed=5))
    window.import_paths([str(shot)])
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=10_000)
    viewer = window.open_capture(1)
    qtbot.waitExposed(viewer)

    window.activateWindow()
    window.acts.capture_region.trigger()  # the real grab of the offscreen screen
    grabber = window.screen_grabber
    assert grabber is not None and grabber.active
    assert not window.isVisible() and not viewer.isVisible()
    qtbot.waitUntil(lambda: grabber.selector is not None
                    and grabber.selector.overlays[0].isVisible(), timeout=5000)
    assert grabber.selector is not None
    overlay = grabber.selector.overlays[0]
    with qtbot.waitSignal(grabber.cancelled, timeout=5000):
        qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert window.isVisible() and viewer.isVisible()
    assert not overlay.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.session.tasks.busy, timeout=10_000)
    assert window.proxy.rowCount() == 1
    assert not error_boxes()


def test_no_grab_and_no_tool_explains_what_to_install(
        qtbot: QtBot, window: MainWindow, no_tools: Path) -> None:
    blank = FrozenScreen(QGuiApplication.primaryScreen(), QPixmap())
    grabber = window.capture_screen_region(grab=lambda: [blank])
    with qtbot.waitSignal(grabber.failed, timeout=5000):
        pass
    qtbot.waitUntil(lambda: bool(error_boxes()), timeout=5000)
    text = error_boxes()[0].text()
    for name in ("grim", "slurp", "spectacle", "gnome-screenshot", "flameshot", "Ctrl+V"):
        assert name in text
    assert window.isVisible()
    assert grabber.selector is None and not grabber.active
    assert window.proxy.rowCount() == 0


@pytest.mark.parametrize("tool", ["gnome-screenshot", "flameshot"])
def test_screenshot_tool_is_used_when_the_screen_cannot_be_grabbed(
        qtbot: QtBot, window: MainWindow, no_tools: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, tool: str) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")
    png = make_image(width=120, height=80, seed=3)
    source = tmp_path / "region.png"
    source.write_bytes(png)
    log = tmp_path / "tool.json"
    if tool == "gnome-screenshot":  # writes the file named after -f
        body = (f"out = sys.argv[sys.argv.index('-f') + 1]\n"
                f"open(out, 'wb').write(open({str(source)!r}, 'rb').read())\n"
                f"mode = os.stat(os.path.dirname(out)).st_mode & 0o777\n"
                f"json.dump({{'args': sys.argv[1:], 'out': out, 'mode': mode}}, "
                f"open({str(log)!r}, 'w'))")
    else:  # writes the PNG to standard output
        body = (f"sys.stdout.buffer.write(open({str(source)!r}, 'rb').read())\n"
                f"json.dump({{'args': sys.argv[1:]}}, open({str(log)!r}, 'w'))")
    fake_tool(no_tools, tool, body)

    blank = FrozenScreen(QGuiApplication.primaryScreen(), QPixmap())
    grabber = window.capture_screen_region(grab=lambda: [blank])
    with qtbot.waitSignal(grabber.captured, timeout=10_000) as blocker:
        pass
    assert grabber.tool is not None and grabber.tool.name == tool
    image = blocker.args[0]
    assert rgb(image) == rgb(QImage.fromData(png))
    assert window.isVisible()
    record = json.loads(log.read_text())
    if tool == "gnome-screenshot":
        assert record["args"][:2] == ["-a", "-f"]
        assert record["mode"] == 0o700  # a private folder ...
        assert not os.path.exists(record["out"])  # ... removed afterwards
        assert not os.path.exists(os.path.dirname(record["out"]))
    else:
        assert record["args"] == ["gui", "--raw"]
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=10_000)
    assert window.model.captures()[0].capture_method == "screen"


def test_tool_closed_without_a_region_cancels_and_a_hung_one_is_stopped(
        qtbot: QtBot, window: MainWindow, no_tools: Path) -> None:
    fake_tool(no_tools, "quitter", "sys.exit(1)")
    fake_tool(no_tools, "sleeper", "time.sleep(60)")
    blank = FrozenScreen(QGuiApplication.primaryScreen(), QPixmap())

    grabber = window.capture_screen_region(
        grab=lambda: [blank], tools=[ScreenshotTool("quitter", ("quitter",), lambda out: [out])])
    with qtbot.waitSignal(grabber.cancelled, timeout=10_000):
        pass
    assert window.isVisible() and not error_boxes()

    slow = ScreenGrabber(window, grab=lambda: [blank], settle_ms=0, tool_timeout_ms=300,
                         tools=[ScreenshotTool("sleeper", ("sleeper",), lambda out: [out])])
    with qtbot.waitSignal(slow.failed, timeout=10_000) as blocker:
        slow.start()
    assert "did not finish" in blocker.args[1]
    assert slow.process is None and window.isVisible()
