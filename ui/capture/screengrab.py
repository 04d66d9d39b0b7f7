"""Screen-region capture: freeze every screen, let the analyst drag a rectangle.

``ScreenGrabber`` runs one capture for a window.  It hides the window (and the
others it is given), waits a moment for the compositor to take them off the
screen, grabs every ``QScreen`` and shows a ``RegionSelector``: one frameless,
always-on-top ``RegionOverlay`` per screen showing that screen's frozen grab,
darkened except for the rectangle being dragged (with its size in pixels).
Releasing the mouse finishes; Esc or a right click on any screen cancels.  The
crop is cut from the frozen grab in device pixels, so a HiDPI screen gives its
full resolution.  The windows come back either way.

Where applications may not read the screen (Wayland), or the grab comes back
empty, an installed screenshot tool that lets the analyst select a region is
run instead, non-blocking, writing into a private temporary folder that is
removed afterwards: ``grim`` with ``slurp``, ``spectacle``, ``gnome-screenshot``
or ``flameshot`` (the one made for the running desktop first).  With none
installed the grabber fails with a sentence naming what to install, and
suggests pasting a screenshot taken with the system's own tool.  The xdg
desktop portal (D-Bus) is not used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QProcess, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QScreen,
)
from PySide6.QtWidgets import QWidget

from ui.common.qtutil import emit

#: How long the hidden windows get to leave the screen before it is grabbed.
SETTLE_MS = 200
#: How long a screenshot tool may wait for the analyst before it is stopped.
TOOL_TIMEOUT_MS = 180_000
#: A drag smaller than this (logical pixels, either way) is a click, not a region.
MIN_DRAG = 3
SHADE = QColor(0, 0, 0, 130)
EDGE = QColor(0, 170, 255)
TITLE = "Screen capture"


@dataclass(frozen=True)
class FrozenScreen:
    """One screen as it was when the capture started.

    Attributes:
        screen: the ``QScreen``; its overlay covers it.
        pixmap: its grab, in device pixels (may be null where grabbing is not allowed).
    """

    screen: QScreen
    pixmap: QPixmap

    @property
    def usable(self) -> bool:
        """Whether the grab holds a picture."""
        return not self.pixmap.isNull() and self.pixmap.width() > 0 \
            and self.pixmap.height() > 0


#: Returns every screen's frozen grab (``grab_screens``, or a test's own pictures).
GrabSource = Callable[[], list[FrozenScreen]]


def grab_screens() -> list[FrozenScreen]:
    """Every screen, grabbed now (``QScreen.grabWindow(0)``: the whole screen)."""
    return [FrozenScreen(screen, screen.grabWindow(0)) for screen in QGuiApplication.screens()]


def on_wayland() -> bool:
    """Whether Qt talks to a Wayland compositor (which forbids reading the screen)."""
    return QGuiApplication.platformName().startswith("wayland")


def wayland_session() -> bool:
    """Whether the desktop session is Wayland, even if Qt runs through XWayland (where a
    grab shows only the X11 windows)."""
    return os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland" \
        or bool(os.environ.get("WAYLAND_DISPLAY"))


# ------------------------------------------------------------------ overlays
class RegionOverlay(QWidget):
    """A full-screen, frameless, always-on-top window over one screen showing its frozen
    grab darkened; dragging with the left button selects a rectangle, shown undarkened
    with its size in device pixels.

    Signals:
        chosen(QRect): the rectangle released, in the frozen grab's device pixels.
        cancelled(): Esc or a right click.

    Attributes:
        frozen: the ``FrozenScreen`` shown.
        selection: the rectangle being dragged, in widget coordinates (empty if none).
    """

    chosen = Signal(QRect)
    cancelled = Signal()

    def __init__(self, frozen: FrozenScreen, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("regionOverlay")
        self.setWindowTitle("Drag a region to capture — Esc cancels")
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.frozen = frozen
        self.selection = QRect()
        self._origin: QPoint | None = None

    def present(self) -> None:
        """Cover the screen."""
        self.setScreen(self.frozen.screen)
        self.setGeometry(self.frozen.screen.geometry())
        self.showFullScreen()

    def device_rect(self, rect: QRect) -> QRect:
        """``rect`` (widget coordinates) in the frozen grab's device pixels."""
        pixmap = self.frozen.pixmap
        sx = pixmap.width() / max(1, self.width())
        sy = pixmap.height() / max(1, self.height())
        scaled = QRectF(rect.x() * sx, rect.y() * sy, rect.width() * sx, rect.height() * sy)
        return scaled.toAlignedRect().intersected(QRect(0, 0, pixmap.width(), pixmap.height()))

    def _span(self, end: QPoint) -> QRect:
        start = self._origin or end
        rect = QRect(min(start.x(), end.x()), min(start.y(), end.y()),
                     abs(end.x() - start.x()), abs(end.y() - start.y()))
        return rect.intersected(self.rect())

    # ---------------------------------------------------------------- events
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            emit(self.cancelled)
        elif event.button() == Qt.MouseButton.LeftButton:
            self._origin = event.position().toPoint()
            self.selection = QRect()
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._origin is not None:
            self.selection = self._span(event.position().toPoint())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._origin is None:
            return
        self.selection = self._span(event.position().toPoint())
        self._origin = None
        if self.selection.width() < MIN_DRAG or self.selection.height() < MIN_DRAG:
            self.selection = QRect()  # a click: keep waiting for a drag
            self.update()
            return
        emit(self.chosen, self.device_rect(self.selection))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            emit(self.cancelled)
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pixmap = self.frozen.pixmap
        painter.drawPixmap(self.rect(), pixmap)
        painter.fillRect(self.rect(), SHADE)
        if self.selection.isEmpty():
            self._hint(painter, "Drag a rectangle to capture it — Esc or right click cancels")
            painter.end()
            return
        source = self.device_rect(self.selection)
        painter.drawPixmap(self.selection, pixmap, source)
        painter.setPen(QPen(EDGE, 1))
        painter.drawRect(self.selection.adjusted(0, 0, -1, -1))
        label = f"{source.width()} × {source.height()}"
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(label).adjusted(-4, -2, 4, 2)
        box.moveTopLeft(self.selection.topLeft() - QPoint(0, box.height() + 2))
        if box.top() < 0:
            box.moveTopLeft(self.selection.bottomLeft() + QPoint(0, 3))
        painter.fillRect(box, QColor(0, 0, 0, 200))
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

    def _hint(self, painter: QPainter, text: str) -> None:
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(text).adjusted(-10, -6, 10, 6)
        box.moveCenter(QPoint(self.width() // 2, box.height() + 20))
        painter.fillRect(box, QColor(0, 0, 0, 200))
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class RegionSelector(QObject):
    """One ``RegionOverlay`` per frozen screen; the first rectangle released on any of
    them is the result, Esc or a right click on any cancels, and every overlay closes.

    Signals:
        selected(QImage): the region, cut from the frozen grab (device pixels).
        cancelled(): nothing was selected.

    Attributes:
        overlays: the overlays on screen (empty once finished).
    """

    selected = Signal(QImage)
    cancelled = Signal()

    def __init__(self, frozen: Sequence[FrozenScreen], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.overlays = [RegionOverlay(f) for f in frozen]
        for overlay in self.overlays:
            overlay.chosen.connect(lambda rect, o=overlay: self._chosen(o, rect))
            overlay.cancelled.connect(self._cancel)

    def start(self) -> None:
        """Show the overlays; the one under the mouse pointer takes the keyboard."""
        for overlay in self.overlays:
            overlay.present()
        pointer = QCursor.pos()
        active = next((o for o in self.overlays
                       if o.frozen.screen.geometry().contains(pointer)),
                      self.overlays[0] if self.overlays else None)
        if active is not None:
            active.raise_()
            active.activateWindow()
            active.setFocus(Qt.FocusReason.OtherFocusReason)

    def _chosen(self, overlay: RegionOverlay, rect: QRect) -> None:
        if not self.overlays:
            return
        image = overlay.frozen.pixmap.copy(rect).toImage()
        image.setDevicePixelRatio(1.0)
        self._close()
        emit(self.selected, image)

    def _cancel(self) -> None:
        if not self.overlays:
            return
        self._close()
        emit(self.cancelled)

    def _close(self) -> None:
        overlays, self.overlays = self.overlays, []
        for overlay in overlays:
            overlay.hide()
            overlay.deleteLater()


# --------------------------------------------------------- screenshot tools
@dataclass(frozen=True)
class ScreenshotTool:
    """A desktop screenshot program that lets the analyst select a region itself.

    Attributes:
        name: as shown to the analyst (and installed: the Debian package names).
        needs: the programs it runs, looked up on ``PATH``.
        args: the arguments after the program, given the file to write.
        stdout: whether the PNG arrives on standard output instead of in the file.
        desktops: ``XDG_CURRENT_DESKTOP`` names it is made for (tried first there).
    """

    name: str
    needs: tuple[str, ...]
    args: Callable[[str], list[str]]
    stdout: bool = False
    desktops: tuple[str, ...] = ()

    def command(self) -> list[str] | None:
        """The paths of the programs it needs (the first is the one run), or ``None``
        where one of them is not installed."""
        found = [shutil.which(program) for program in self.needs]
        if not all(found):
            return None
        return [str(path) for path in found]


def _grim_args(out: str) -> list[str]:
    return ["-c", 'region=$(slurp) || exit 1; exec grim -g "$region" "$1"', "sh", out]


TOOLS: tuple[ScreenshotTool, ...] = (
    ScreenshotTool("grim and slurp", ("sh", "grim", "slurp"), _grim_args,
                   desktops=("sway", "hyprland", "river", "wayfire", "labwc", "niri")),
    ScreenshotTool("spectacle", ("spectacle",), lambda out: ["-r", "-b", "-n", "-o", out],
                   desktops=("kde",)),
    ScreenshotTool("gnome-screenshot", ("gnome-screenshot",), lambda out: ["-a", "-f", out],
                   desktops=("gnome", "unity", "budgie", "cinnamon")),
    ScreenshotTool("flameshot", ("flameshot",), lambda _out: ["gui", "--raw"], stdout=True),
)


def available_tools(tools: Sequence[ScreenshotTool] = TOOLS) -> list[ScreenshotTool]:
    """The installed ``tools``, those made for the running desktop first."""
    desktop = os.environ.get("XDG_CURRENT_DESKTOP", "").lower()
    installed = [tool for tool in tools if tool.command() is not None]
    return sorted(installed, key=lambda t: not any(d in desktop for d in t.desktops))


def no_grab_message(wayland: bool) -> str:
    """Why no region can be captured here, what to install, and what to do meanwhile."""
    why = ("This desktop (Wayland) does not let applications read the screen directly"
           if wayland else "The screen could not be read (the system returned no picture)")
    names = ", ".join(t.name for t in TOOLS[:-1]) + f" or {TOOLS[-1].name}"
    return (f"{why}, and no screenshot tool that can select a region is installed.\n\n"
            f"Install one of: {names} — for example "
            "\"sudo apt-get install grim slurp\" on Sway or Hyprland, \"spectacle\" on KDE, "
            "\"gnome-screenshot\" on GNOME.\n\n"
            "Meanwhile: take the screenshot with your desktop's own tool (Print Screen), "
            "copy it to the clipboard and paste it here with Ctrl+V.")


# ------------------------------------------------------------------ grabber
class ScreenGrabber(QObject):
    """One screen-region capture for ``window``: hide, grab, select, show again.

    Signals:
        captured(QImage): the region, in device pixels.
        cancelled(): nothing was captured (Esc, right click, the tool was closed).
        failed(str, str): a title and a sentence: the screen cannot be read here.

    Attributes:
        window: the window hidden while capturing.
        selector: the ``RegionSelector`` on screen, while one is.
        process: the screenshot tool running, while one is.
        tool: the ``ScreenshotTool`` last run, if any.
        active: whether a capture is under way.
    """

    captured = Signal(QImage)
    cancelled = Signal()
    failed = Signal(str, str)

    def __init__(self, window: QWidget, *, also_hide: Sequence[QWidget | None] = (),
                 grab: GrabSource | None = None,
                 tools: Sequence[ScreenshotTool] | None = None,
                 settle_ms: int = SETTLE_MS, tool_timeout_ms: int = TOOL_TIMEOUT_MS) -> None:
        super().__init__(window)
        self.window = window
        self.selector: RegionSelector | None = None
        self.process: QProcess | None = None
        self.tool: ScreenshotTool | None = None
        self.active = False
        self._also_hide = list(also_hide)
        self._grab = grab or grab_screens
        self._tools = tools
        self._hidden: list[QWidget] = []
        self._folder: Path | None = None
        self._timed_out = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self._take)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.setInterval(tool_timeout_ms)
        self._deadline.timeout.connect(self._tool_too_slow)

    def start(self) -> None:
        """Hide the windows, then (once the compositor has removed them) grab."""
        if self.active:
            return
        self.active = True
        windows = [w for w in self._also_hide if w is not None] + [self.window]
        self._hidden = [w for w in windows if w.isVisible()]
        for widget in self._hidden:
            widget.hide()
        self._settle.start()

    def _take(self) -> None:
        tools = available_tools() if self._tools is None else list(self._tools)
        wayland = on_wayland()
        if tools and (wayland or wayland_session()):
            self._run_tool(tools[0])
            return
        frozen = [] if wayland else [f for f in self._grab() if f.usable]
        if frozen:
            self.selector = RegionSelector(frozen, self)
            self.selector.selected.connect(self._selected)
            self.selector.cancelled.connect(self._cancelled)
            self.selector.start()
        elif tools:
            self._run_tool(tools[0])
        else:
            self._finish()
            emit(self.failed, TITLE, no_grab_message(wayland or wayland_session()))

    def _selected(self, image: QImage) -> None:
        self.selector = None
        self._finish()
        emit(self.captured, image)

    def _cancelled(self) -> None:
        self.selector = None
        self._finish()
        emit(self.cancelled)

    def _finish(self) -> None:
        """Bring the hidden windows back."""
        self.active = False
        hidden, self._hidden = self._hidden, []
        for widget in reversed(hidden):
            widget.show()
        if self.window in hidden:
            self.window.raise_()
            self.window.activateWindow()

    # ------------------------------------------------------------- tools
    def _run_tool(self, tool: ScreenshotTool) -> None:
        command = tool.command()
        if command is None:
            self._finish()
            emit(self.failed, TITLE, f"{tool.name} is no longer installed.")
            return
        self.tool = tool
        self._timed_out = False
        self._folder = Path(tempfile.mkdtemp(prefix="workstation-screen-"))  # private: 0700
        out = str(self._folder / "region.png")
        process = QProcess(self)
        process.setProgram(command[0])
        process.setArguments(tool.args(out))
        process.finished.connect(lambda code, status: self._tool_finished(process, out, status))
        process.errorOccurred.connect(lambda error: self._tool_error(process, error))
        self.process = process
        self._deadline.start()
        process.start()

    def _tool_error(self, process: QProcess, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart or process is not self.process:
            return  # the other errors end with finished()
        self._end_tool(process)
        self._finish()
        emit(self.failed, TITLE, f"{self._tool_name()} could not be started "
                                 f"({process.errorString()}).")

    def _tool_finished(self, process: QProcess, out: str,
                       status: QProcess.ExitStatus) -> None:
        if process is not self.process:
            return
        if self.tool is not None and self.tool.stdout:
            data = bytes(process.readAllStandardOutput().data())
        else:
            try:
                data = Path(out).read_bytes()
            except OSError:
                data = b""
        self._end_tool(process)
        image = QImage.fromData(data) if data else QImage()
        self._finish()
        if not image.isNull():
            emit(self.captured, image)
        elif self._timed_out:
            emit(self.failed, TITLE, f"{self._tool_name()} did not finish within "
                                     f"{self._deadline.interval() // 1000} seconds; "
                                     "nothing was captured.")
        elif status == QProcess.ExitStatus.CrashExit:
            emit(self.failed, TITLE, f"{self._tool_name()} stopped unexpectedly; "
                                     "nothing was captured.")
        else:
            emit(self.cancelled)

    def _tool_too_slow(self) -> None:
        if self.process is not None:
            self._timed_out = True
            self.process.kill()

    def _end_tool(self, process: QProcess) -> None:
        self._deadline.stop()
        self.process = None
        process.deleteLater()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _tool_name(self) -> str:
        return self.tool.name if self.tool is not None else "The screenshot tool"
