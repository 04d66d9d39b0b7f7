"""The main window's menus, actions and keyboard shortcuts.

Every frequent action has a shortcut; Help → Keyboard shortcuts lists them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from ui.cases.actions import CaseActions
from ui.common.errors import register_menus
from ui.common.prefs import WELLBEING_MODES
from ui.common.unlock import change_passphrase
from ui.gallery.tiles import ORDERS
from ui.timestamps.window import open_timestamps, send_timestamps

if TYPE_CHECKING:
    from ui.main.mainwindow import MainWindow

WELLBEING_LABELS = {"blur": "&Blurred", "grey": "&Greyscale", "off": "&Shown as they are"}


class Actions:
    """The main window's ``QAction`` objects, by name (``actions.ocr`` ...).

    Attributes:
        all: every action, in menu order (for the shortcut list).
    """

    def __init__(self) -> None:
        self.all: list[QAction] = []

    def __getattr__(self, name: str) -> Any:  # typed access for dynamic attributes
        raise AttributeError(name)


def _make(window: MainWindow, actions: Actions, name: str, text: str, slot: Any,
          shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
          checkable: bool = False, tip: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(f"action_{name}")
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)
    setattr(actions, name, action)
    actions.all.append(action)
    return action


def _redact_current(w: MainWindow) -> None:
    """Open the current capture in the viewer, and its redaction editor."""
    capture_id = w.views.current_id()
    if capture_id is not None:
        w.open_capture(capture_id).redaction.open_editor()


def _sort_menu(w: MainWindow, a: Actions, view: QMenu) -> None:
    """View → Sort by (date, platform, case, pack state) and Show groups; remembered."""
    sub = view.addMenu("S&ort by")
    group = QActionGroup(w)
    for n, (order, label) in enumerate(ORDERS.items(), start=3):
        what = label.replace("&", "").lower()
        action = _make(w, a, f"sort_{order}", label,
                       lambda _checked=False, o=order: w.sort_gallery(o), f"Ctrl+{n}",
                       checkable=True, tip=f"Sort the captures by {what} (Ctrl+{n})")
        action.setChecked(w.model.order == order)
        group.addAction(action)
        sub.addAction(action)
    groups = _make(w, a, "group", "Show &groups", w.group_gallery, "Ctrl+G", checkable=True,
                   tip="Show the captures in groups of the sort order, each with a caption "
                       "(Ctrl+G)")
    groups.setChecked(w.model.grouped)
    view.addAction(groups)


def build_actions(w: MainWindow) -> Actions:
    """Create the actions, the menu bar and the tool bar of ``w``."""
    a = Actions()
    bar = w.menuBar()
    cases = CaseActions(w.session, w.ops, w, w.views, w.open_capture,
                        shown_filter=lambda: w.sidebar.current, reload=w.reload)
    setattr(a, "cases", cases)  # noqa: B010 (kept alive with the actions)

    menu = bar.addMenu("&File")
    menu.addAction(_make(w, a, "import_files", "&Import files…", w.ask_import_files,
                         QKeySequence.StandardKey.Open, tip="Import screenshots (Ctrl+O)"))
    menu.addAction(_make(w, a, "import_folder", "Import &folder…", w.ask_import_folder,
                         "Ctrl+Shift+O", tip="Import every image in a folder"))
    menu.addAction(_make(w, a, "paste", "&Paste image", w.paste,
                         QKeySequence.StandardKey.Paste,
                         tip="Capture the image on the clipboard (Ctrl+V)"))
    menu.addAction(_make(w, a, "capture_region", "Capture screen &region…",
                         lambda: w.capture_screen_region(), "Ctrl+Shift+S",
                         tip="Hide the window and drag a rectangle on the screen "
                             "(Ctrl+Shift+S)"))
    menu.addAction(_make(w, a, "watch", "&Watch a folder…", w.ask_watch_folder,
                         "Ctrl+Shift+W", tip="Import new screenshots saved into a folder"))
    menu.addAction(_make(w, a, "import_case", "Import &case…", lambda: cases.import_case(),
                         "Ctrl+I", tip="Take in a case bundle a colleague gave you (Ctrl+I); "
                                       "nothing here is overwritten"))
    menu.addSeparator()
    # Ctrl+Q (Cmd+Q on a Mac): the platform's own Quit key is empty on some desktops
    menu.addAction(_make(w, a, "quit", "&Quit", w.close, "Ctrl+Q"))

    menu = bar.addMenu("&Evidence")
    open_action = _make(w, a, "open", "&Open in viewer", w.open_current, "Return")
    open_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
    open_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.removeAction(open_action)
    w.views.addAction(open_action)
    menu.addAction(open_action)
    menu.addAction(_make(w, a, "details", "Edit &details…", w.edit_details, "F2",
                         tip="URL, handle, case and notes of the selected captures"))
    menu.addAction(_make(w, a, "redact", "&Redact…", lambda: _redact_current(w),
                         "Ctrl+Shift+D", tip="Draw boxes to fill in a redacted copy of the "
                                             "capture (Ctrl+Shift+D); the original is kept"))
    menu.addSeparator()
    menu.addAction(_make(w, a, "ocr", "&OCR selected", w.ocr_selected, "Ctrl+R",
                         tip="Read the text of the selected captures (Ctrl+R)"))
    menu.addAction(_make(w, a, "ocr_pending", "OCR all &pending", w.ocr_pending,
                         "Ctrl+Shift+R", tip="Read every capture not yet OCR'd"))
    menu.addAction(_make(w, a, "cancel", "&Cancel running task", w.cancel_task, "Ctrl+.",
                         tip="Stop after the current item; finished work is kept"))

    menu = bar.addMenu("&Case")  # ui/cases/actions.py
    menu.addAction(_make(w, a, "new_case", "&New case…", lambda: cases.new_case(),
                         "Ctrl+Shift+N", tip="Create a case (Ctrl+Shift+N)"))
    menu.addAction(_make(w, a, "case_view", "Case &view…", lambda: cases.show_case_view(),
                         "Ctrl+K", tip="Cases, their captures, packs, outcomes and timeline"))
    menu.addAction(_make(w, a, "rename_case", "&Rename…", lambda: cases.rename_case(),
                         "Shift+F2", tip="Rename the case chosen in the case view"))
    menu.addAction(_make(w, a, "close_case", "&Close/Reopen", lambda: cases.toggle_case(),
                         "Ctrl+Shift+C",
                         tip="Close the case chosen in the case view, or reopen it"))
    menu.addSeparator()
    menu.addAction(_make(w, a, "move_to_case", "&Move selected captures to case…",
                         lambda: cases.ask_move(), "Ctrl+Shift+M",
                         tip="Move the selected captures to an open case (Ctrl+Shift+M)"))
    menu.addAction(_make(w, a, "exhibit", "Assign &exhibit reference",
                         lambda: cases.assign_exhibits(), "Ctrl+E",
                         tip="Give the selected captures their exhibit references, "
                             "such as AB/1 (Ctrl+E)"))
    menu.addSeparator()
    menu.addAction(_make(w, a, "report", "Re&port…", lambda: cases.open_report(),
                         "Ctrl+Shift+G", tip="The case report of the case chosen in the "
                                             "case view (Ctrl+Shift+G)"))
    menu.addAction(_make(w, a, "export_case", "E&xport…", lambda: cases.export_case(),
                         "Ctrl+Shift+X", tip="Give a case to colleagues as a signed, "
                                             "encrypted case bundle (Ctrl+Shift+X)"))

    menu = bar.addMenu("&View")
    menu.addAction(_make(w, a, "search", "&Search…", w.focus_search,
                         QKeySequence.StandardKey.Find))
    menu.addAction(_make(w, a, "gallery", "&Gallery", lambda: w.set_view_mode("gallery"),
                         "Ctrl+1"))
    menu.addAction(_make(w, a, "table", "&Table", lambda: w.set_view_mode("table"),
                         "Ctrl+2"))
    menu.addAction(_make(w, a, "refresh", "&Refresh", w.reload, QKeySequence.StandardKey.Refresh))
    _sort_menu(w, a, menu)
    menu.addSeparator()
    menu.addAction(_make(w, a, "reveal", "Re&veal images", w.wellbeing.set_reveal_all,
                         "Ctrl+Shift+V", checkable=True,
                         tip="Show every image as it is until toggled back"))
    sub = menu.addMenu("Images &until revealed")
    group = QActionGroup(w)
    for mode in WELLBEING_MODES:
        action = _make(w, a, f"wellbeing_{mode}", WELLBEING_LABELS[mode],
                       lambda _checked=False, m=mode: w.wellbeing.set_mode(m), checkable=True)
        action.setChecked(w.wellbeing.mode == mode)
        group.addAction(action)
        sub.addAction(action)
    # The menu follows the mode whoever sets it (this menu, or the Settings dialog).
    w.wellbeing.changed.connect(
        lambda: getattr(a, f"wellbeing_{w.wellbeing.mode}").setChecked(True))

    menu = bar.addMenu("&Packs")
    menu.addAction(_make(w, a, "new_pack", "&New alert pack…", w.new_pack, "Ctrl+Shift+P",
                         tip="Compose a pack for a platform from the selected captures"))
    menu.addAction(_make(w, a, "outbox", "&Outbox…", w.show_outbox, "Ctrl+Shift+B",
                         tip="Every pack, its state and the platforms' answers"))

    menu = bar.addMenu("&Workspace")
    menu.addAction(_make(w, a, "verify", "&Verify…", w.verify, "Ctrl+Shift+I",
                         tip="Re-hash every evidence file and check the audit trail"))
    menu.addAction(_make(w, a, "audit", "&Audit trail…", w.show_audit, "Ctrl+L"))
    menu.addAction(_make(w, a, "contacts", "&Contacts and keys…", w.show_contacts,
                         "Ctrl+Shift+K",
                         tip="Platform contacts, their key fingerprints, the agency's keys"))
    menu.addAction(_make(w, a, "colleagues", "Co&lleagues…", lambda: cases.show_colleagues(),
                         "Ctrl+Shift+L",
                         tip="The analysts you give cases to and take cases from, and your "
                             "keys to give them (Ctrl+Shift+L)"))
    menu.addAction(_make(w, a, "send_timestamps", "Send &timestamps…",
                         lambda: send_timestamps(w.ops, w), "Ctrl+Shift+T",
                         tip="Timestamp the audit trail's head and send every queued "
                             "request to the time-stamping authorities (RFC 3161)"))
    menu.addAction(_make(w, a, "timestamps", "T&imestamps…",
                         lambda: open_timestamps(w.session, w.ops, w), "Ctrl+T",
                         tip="The trusted timestamps: state, the TSA's time, Verify"))
    passphrase = _make(w, a, "passphrase", "Change &passphrase…",
                       lambda: change_passphrase(w.ops, w.notify, w), "Ctrl+Shift+U",
                       tip="Change the passphrase that opens this encrypted workspace "
                           "(Ctrl+Shift+U)")
    passphrase.setEnabled(w.session.reader.encrypted)
    menu.addAction(passphrase)
    menu.addSeparator()
    menu.addAction(_make(w, a, "settings", "&Settings…", w.show_settings, "Ctrl+,",
                         tip="Analyst name, OCR, phone regions, e-mail, images, data folder"))
    menu.addAction(_make(w, a, "analyst", "Analyst &name…", w.ask_analyst, "Ctrl+Shift+A"))
    auto = _make(w, a, "auto_ocr", "OCR &automatically after capture",
                 lambda on: setattr(w.prefs, "auto_ocr", on), checkable=True)
    auto.setChecked(w.prefs.auto_ocr)
    menu.addAction(auto)
    ask = _make(w, a, "ask_details", "Ask for &details after capture",
                lambda on: setattr(w.prefs, "ask_details", on), checkable=True)
    ask.setChecked(w.prefs.ask_details)
    menu.addAction(ask)

    menu = bar.addMenu("&Help")
    menu.addAction(_make(w, a, "shortcuts", "&Keyboard shortcuts",
                         w.show_shortcuts, QKeySequence.StandardKey.HelpContents))

    register_menus(bar)  # messages name these items with their shortcuts
    tools = w.addToolBar("Main")
    tools.setObjectName("mainToolbar")
    for action in (a.import_files, a.paste, a.ocr, a.ocr_pending):
        tools.addAction(action)
    tools.addSeparator()
    tools.addAction(a.reveal)
    tools.addSeparator()
    tools.addWidget(w.search_box)
    return a


def shortcut_lines(actions: Actions) -> list[str]:
    """"Shortcut — action" for every action that has a shortcut."""
    lines = []
    for action in actions.all:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            lines.append(f"{keys:<16} {action.text().replace('&', '').rstrip('…')}")
    return lines
