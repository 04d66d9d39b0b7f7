"""Cases and exhibits in the window: Case menu, case view, moving captures, exhibit
references by keyboard shortcut, shown in the gallery, the table and the viewer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMenu
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.imagegen import make_image
from ui.cases.caseview import CaseViewWindow
from ui.main.mainwindow import MainWindow

pytestmark = GUI_MARKS

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _import(qtbot: QtBot, window: MainWindow, tmp_path: Path, count: int) -> list[int]:
    folder = tmp_path / "in"
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"shot{i}.png"
        path.write_bytes(make_image(seed=i))
        paths.append(str(path))
    window.import_paths(paths)
    wait_idle(qtbot, window)
    return sorted(c.id for c in window.model.captures())


def _dialog(qtbot: QtBot, parent: object, name: str) -> QInputDialog:
    found: list[QInputDialog] = []

    def visible() -> bool:
        found[:] = [d for d in parent.findChildren(QInputDialog, name)  # type: ignore[attr-defined]
                    if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=5_000)
    return found[0]


def _activate(qtbot: QtBot, window: MainWindow) -> None:
    """Make the main window the active one (its shortcuts fire only then)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)


def _column(view: CaseViewWindow, table_name: str, column: int) -> list[str]:
    table = getattr(view, table_name)
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_case_menu_comes_after_evidence(window: MainWindow) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Case") == titles.index("&Evidence") + 1
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Case")
    assert isinstance(menu, QMenu)
    assert window.acts.exhibit.shortcut().toString() == "Ctrl+E"
    assert window.acts.move_to_case.shortcut().toString() == "Ctrl+Shift+M"
    assert window.acts.new_case.shortcut().toString() == "Ctrl+Shift+N"
    keys = [a.shortcut().toString() for a in window.acts.all if not a.shortcut().isEmpty()]
    assert len(keys) == len(set(keys)), "a shortcut is used twice"


def test_create_move_assign_and_see_it_in_the_case_view(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    first, second = _import(qtbot, window, tmp_path, 2)

    # Case → New case… (Ctrl+Shift+N)
    window.activateWindow()
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_N, CTRL_SHIFT)
    view = window.findChild(CaseViewWindow)
    assert isinstance(view, CaseViewWindow) and view.isVisible()
    dialog = _dialog(qtbot, view, "newCaseDialog")
    dialog.setTextValue("Op Alpha")
    dialog.accept()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: view.current_case() == "Op Alpha", timeout=5_000)
    assert _column(view, "cases", 0) == ["Op Alpha"]
    assert _column(view, "cases", 2) == ["0"]

    # select the second capture; Move selected captures to case… (Ctrl+Shift+M)
    _activate(qtbot, window)
    assert window.views.select(second)
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_M, CTRL_SHIFT)
    dialog = _dialog(qtbot, window, "moveToCaseDialog")
    assert dialog.comboBoxItems() == ["Op Alpha"]
    dialog.setTextValue("Op Alpha")
    dialog.accept()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: _column(view, "captures", 0) == [f"#{second}"], timeout=5_000)
    assert window.model.capture(second).case == "Op Alpha"
    assert window.model.capture(first).case is None

    # Assign exhibit reference (Ctrl+E) on the selected capture
    _activate(qtbot, window)
    assert window.views.select(second)
    qtbot.keyClick(window.views.gallery, Qt.Key.Key_E, CTRL)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.model.exhibit(second) == "TA/1", timeout=5_000)
    assert window.model.exhibit(first) is None
    row = window.model.row_of(second)
    assert row is not None
    exhibit_column = [k for k, _h in window.model.COLUMNS].index("exhibit")
    assert window.model.index(row, exhibit_column).data() == "TA/1"
    assert "(exhibit TA/1)" in window.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)

    # ... and it is in the case view: captures, timeline
    qtbot.waitUntil(lambda: _column(view, "captures", 1) == ["TA/1"], timeout=5_000)
    events = _column(view, "timeline", 2)
    assert events[0] == f"Capture #{second} imported"  # the history of its captures too
    assert "Case created (Op Alpha)" in events
    assert f"Capture #{second}: exhibit reference TA/1 assigned" in events
    assert f"Captures #{second} moved into the case" in events
    assert view.cases.accessibleName() == "Cases"
    assert view.captures.accessibleName() and view.timeline.accessibleName()

    # a double-click on the capture opens it in the viewer, titled with its reference
    view.captures.selectRow(0)
    rect = view.captures.visualItemRect(view.captures.item(0, 0))
    qtbot.mouseClick(view.captures.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.captures.viewport(), Qt.MouseButton.LeftButton,
                      pos=rect.center())
    qtbot.waitUntil(lambda: window.viewer is not None and window.viewer.isVisible(),
                    timeout=5_000)
    assert window.viewer is not None
    assert window.viewer.windowTitle().startswith(f"Capture #{second} — exhibit TA/1")

    # rename and close through the case view
    view.activateWindow()
    qtbot.mouseClick(view.rename_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, view, "renameCaseDialog")
    dialog.setTextValue("Op Beta")
    dialog.accept()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: view.current_case() == "Op Beta", timeout=5_000)
    qtbot.mouseClick(view.close_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: _column(view, "cases", 1) == ["closed"], timeout=5_000)
    assert view.close_button.text() == "Re&open"
    assert window.session.reader.verify().ok


def test_report_action_without_the_report_module(
        qtbot: QtBot, window: MainWindow) -> None:
    if importlib.util.find_spec("ui.report") is not None:
        return  # the report is built in: tests/gui/test_report_dialog.py covers it
    window.acts.report.trigger()
    assert "not available" in window.statusBar().currentMessage()
