"""The main window's first size (a share of the screen, centred), its geometry
remembered between starts (not where no screen is any more), and the outbox's
columns sized to their contents with no header cut."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QHeaderView, QTableWidget
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS
from ui.common.geometry import first_geometry
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.main.mainwindow import MainWindow

pytestmark = GUI_MARKS


@pytest.fixture
def open_window(qtbot: QtBot, session: Session,
                prefs: Preferences) -> Iterator[Callable[[], MainWindow]]:
    """Open main windows on ``session`` (a start of the app each), closed at the end."""
    opened: list[MainWindow] = []

    def start() -> MainWindow:
        w = MainWindow(session, prefs)
        w.show()
        qtbot.waitExposed(w)
        opened.append(w)
        return w

    yield start
    for w in opened:
        w.passphrases.close()
        qtbot.waitUntil(lambda w=w: not w.session.tasks.busy, timeout=30_000)
        for top in QApplication.topLevelWidgets():
            if top is not w and top.isVisible():
                top.close()
        w.close()
        w.deleteLater()


def available() -> QRect:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    return screen.availableGeometry()


def test_first_size_is_a_share_of_the_screen_and_centred(
        open_window: Callable[[], MainWindow]) -> None:
    screen = available()
    w = open_window()
    size = w.geometry()
    # Within the screen, at least 70% of it (1100×700 where the screen has room for it).
    assert size.width() <= screen.width() and size.height() <= screen.height()
    assert size.width() >= min(int(screen.width() * 0.7), screen.width())
    assert size.height() >= int(screen.height() * 0.7)
    assert screen.contains(w.frameGeometry())
    centre = w.frameGeometry().center()
    assert abs(centre.x() - screen.center().x()) <= 2
    assert abs(centre.y() - screen.center().y()) <= 2


def test_first_geometry_on_common_screens() -> None:
    def size(width: int, height: int) -> tuple[int, int]:
        rect = first_geometry(QRect(0, 0, width, height))
        centre, screen_centre = rect.center(), QRect(0, 0, width, height).center()
        assert abs(centre.x() - screen_centre.x()) <= 1
        assert abs(centre.y() - screen_centre.y()) <= 1
        return rect.width(), rect.height()

    assert size(1920, 1080) == (1344, 756)  # 70%
    assert size(1280, 1024) == (1100, 717)  # at least 1100 wide, 70% high
    assert size(2560, 1440) == (1792, 1008)
    assert size(1024, 768) == (973, 700)  # at most 95% of a small screen
    assert size(800, 600) == (760, 570)


def test_geometry_is_remembered_between_starts(open_window: Callable[[], MainWindow]) -> None:
    screen = available()
    first = open_window()
    wanted = QRect(screen.x() + 20, screen.y() + 30, screen.width() * 3 // 4,
                   screen.height() * 3 // 4)
    first.setGeometry(wanted)
    QApplication.processEvents()
    remembered = first.geometry()
    first.close()  # saved when closed
    again = open_window()
    assert again.geometry() == remembered


def test_a_geometry_on_no_screen_is_ignored(open_window: Callable[[], MainWindow],
                                       prefs: Preferences) -> None:
    first = open_window()
    first.close()
    # A window left on a monitor that is no longer there, far off every screen.
    every = QRect()
    for screen in QGuiApplication.screens():
        every = every.united(screen.geometry())
    first.setGeometry(QRect(every.right() + 5000, every.bottom() + 5000, 900, 600))
    prefs.set_state("geometry", first.saveGeometry())
    again = open_window()
    assert available().intersects(again.frameGeometry())
    assert again.geometry().size() == first_geometry(available()).size()


def whole(table: QTableWidget) -> None:
    """Every column at least as wide as its header and its cells."""
    header = table.horizontalHeader()
    for column in range(header.count()):
        label = table.horizontalHeaderItem(column).text()
        assert header.sectionSize(column) >= header.sectionSizeHint(column), label
        assert header.sectionSize(column) >= table.sizeHintForColumn(column), label


def test_outbox_columns_fit_their_contents(qtbot: QtBot, window: MainWindow) -> None:
    outbox = window.show_outbox()
    qtbot.waitExposed(outbox)
    tables = (outbox.packs, outbox.items, outbox.stats)
    for table in tables:
        assert table.horizontalHeader().sectionResizeMode(0) == \
            QHeaderView.ResizeMode.ResizeToContents
    # Narrow: the figures' last column ("Median hours to action") was cut to its middle.
    outbox.resize(900, 700)
    qtbot.waitUntil(lambda: outbox.stats.viewport().width() < 900)
    for table in tables:
        qtbot.waitUntil(lambda t=table: all(
            t.horizontalHeader().sectionSize(c) >= t.horizontalHeader().sectionSizeHint(c)
            for c in range(t.columnCount())), timeout=5_000)
        whole(table)
    # Wide: the last column takes the rest of the width.
    outbox.resize(2600, 700)
    for table in tables:
        header = table.horizontalHeader()
        qtbot.waitUntil(lambda t=table, h=header: sum(
            h.sectionSize(c) for c in range(t.columnCount())) >= t.viewport().width(),
            timeout=5_000)
        whole(table)
    outbox.close()
