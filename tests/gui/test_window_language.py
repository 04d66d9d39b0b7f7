"""The window speaks the window's language: an error shown in it names the menu item
(and its shortcut) where the CLI names a command; every menu item a message points to
exists; every action the analyst needs is in a menu with a shortcut of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.conftest import require_tool
from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.tsa import make_pki
from ui.common.errors import menu_paths
from ui.main.mainwindow import MainWindow
from ui.timestamps.window import open_timestamps
from workstation.howto import HOW

pytestmark = GUI_MARKS

#: Menu items without a shortcut of their own, on purpose: choices among modes (an
#: exclusive group, picked from its submenu by the mnemonic) and this analyst's two
#: capture preferences (checkable toggles).
NO_SHORTCUT_NEEDED = {"action_auto_ocr", "action_ask_details"}
#: Menu items enabled only where they apply (a plain workspace has no passphrase to
#: change); a message naming one is only shown where it is enabled.
ENABLED_WHERE_IT_APPLIES = {"action_passphrase"}


def _in_exclusive_group(action: QAction) -> bool:
    group = action.actionGroup()
    return action.isCheckable() and group is not None and group.isExclusive()


def test_every_menu_path_a_message_names_is_a_real_menu_item(window: MainWindow) -> None:
    paths = menu_paths(window.menuBar())
    for key, how in HOW.items():
        if how.menu:
            assert how.menu in paths, f"HOW[{key!r}] names {how.menu!r}, not in the menus"
            action = paths[how.menu]
            assert action.isVisible()
            assert action.isEnabled() or action.objectName() in ENABLED_WHERE_IT_APPLIES


def test_every_menu_action_has_a_shortcut_of_its_own(window: MainWindow) -> None:
    actions = menu_paths(window.menuBar())
    missing = [path for path, action in actions.items()
               if action.isEnabled() and not action.shortcuts()
               and action.objectName() not in NO_SHORTCUT_NEEDED
               and not _in_exclusive_group(action)]
    assert missing == []
    seen: dict[str, str] = {}
    clashes = []
    for path, action in actions.items():
        for keys in action.shortcuts():
            text = keys.toString(QKeySequence.SequenceFormat.PortableText)
            if text in seen:
                clashes.append(f"{text}: {seen[text]} and {path}")
            seen[text] = path
    assert clashes == []


def _error_box(qtbot: QtBot, w: MainWindow) -> str:
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "errorBox") is not None, timeout=10_000)
    box = w.findChild(QMessageBox, "errorBox")
    assert isinstance(box, QMessageBox)
    text = box.text()
    box.close()
    box.deleteLater()
    return text


def test_an_error_names_the_menu_item_and_its_shortcut_not_a_command(
        qtbot: QtBot, window: MainWindow) -> None:
    """The issue's example: a refusal that the CLI answers with a command is shown in the
    window with the menu item that does it, and its shortcut."""
    w = window
    w.ops.run("Case", lambda ws, _t: (ws.cases.create("Op Shut"),
                                      ws.cases.set_status("Op Shut", "closed")))
    wait_idle(qtbot, w)
    w.ops.run("Move", lambda ws, _t: ws.cases.check_open("Op Shut"))
    wait_idle(qtbot, w)
    text = _error_box(qtbot, w)
    assert "The case 'Op Shut' is closed" in text
    assert "reopen it (Case → Close/Reopen, Ctrl+Shift+C)" in text and "`workstation" not in text
    w.ops.run("Pack", lambda ws, _t: ws.packs.get("AP-NONE"))
    wait_idle(qtbot, w)
    text = _error_box(qtbot, w)
    assert "Use Packs → Outbox… (Ctrl+Shift+B)" in text and "workstation" not in text


def test_a_tsa_is_added_in_the_window(qtbot: QtBot, window: MainWindow,
                                      tmp_path: Path) -> None:
    """Workspace → Timestamps… → Add TSA…: what the messages point to, so the window
    needs no command to configure one; an unreadable CA file is said in one sentence."""
    require_tool("openssl")
    pki = make_pki(tmp_path / "pki")
    w = window
    timestamps = open_timestamps(w.session, w.ops, w)
    assert "No time-stamping authority" in timestamps.authorities.text()
    timestamps.add_tsa("http://127.0.0.1:9/tsa", str(tmp_path / "missing.pem"))
    wait_idle(qtbot, w)
    assert "Cannot read the CA certificate" in _error_box(qtbot, w)
    timestamps.add_tsa("http://127.0.0.1:9/tsa", str(pki.ca_pem))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: "127.0.0.1:9/tsa" in timestamps.authorities.text(),
                    timeout=10_000)
    assert [a.url for a in w.reader.timestamps.authorities()] == ["http://127.0.0.1:9/tsa"]


@pytest.mark.parametrize("text", ["Ctrl+Shift+C", "Ctrl+T", "Ctrl+Shift+I"])
def test_the_shortcut_list_names_the_new_shortcuts(window: MainWindow, text: str) -> None:
    from ui.main.mainactions import shortcut_lines

    assert any(line.startswith(text + " ") for line in shortcut_lines(window.acts))
