"""The main window's Case menu: new case, the case view, rename, close or reopen,
move the selected captures to a case, assign exhibit references, the report, and
giving a case to colleagues (Case → Export…, :mod:`ui.cases.exchange`) or taking one in
(File → Import case…, :mod:`ui.cases.caseimport`).

Every change runs on the writer thread through the window's
:class:`~ui.common.operations.Operations`; the dialogs are non-blocking.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QInputDialog, QMainWindow

from ui.cases.caseimport import ImportCaseDialog, ask_import_case
from ui.cases.caseview import CaseViewWindow, open_case_view
from ui.cases.exchange import open_export_case
from ui.common.operations import Operations
from ui.common.qtutil import emit
from ui.common.session import Session
from ui.common.tasks import Task
from ui.contacts.colleagues import ColleaguesWindow, open_colleagues
from ui.gallery.gallery import CaptureViews
from ui.gallery.sidebar import CaptureFilter
from workstation.errors import WorkstationError
from workstation.exchange.merge import MergeSummary


class CaseActions:
    """The Case menu's slots over their collaborators: the session, the writer
    (``ops``), the window they act for (its status bar, the parent of the case view),
    the capture views (the selection) and how to open a capture in the viewer; and,
    for giving and taking cases, what the window filters on (``shown_filter``) and how
    it re-reads everything (``reload``)."""

    def __init__(self, session: Session, ops: Operations, window: QMainWindow,
                 views: CaptureViews, open_capture: Callable[[int], Any], *,
                 shown_filter: Callable[[], CaptureFilter] | None = None,
                 reload: Callable[[], Any] | None = None) -> None:
        self.session = session
        self.ops = ops
        self.window = window
        self.views = views
        self.open_capture = open_capture
        self.shown_filter = shown_filter
        self.reload = reload

    def _say(self, text: str, msecs: int = 5000) -> None:
        self.window.statusBar().showMessage(text, msecs)

    def show_case_view(self, name: str | None = None) -> CaseViewWindow:
        """Open (or raise) the case view, on case ``name`` if given."""
        view = open_case_view(self.session, self.ops, self.window, name)
        if not view.property("openerWired"):
            view.captureOpened.connect(self.open_capture)
            view.setProperty("openerWired", True)
        return view

    def current_case(self) -> str | None:
        """The case chosen in the case view, if it is open."""
        view = self.window.findChild(CaseViewWindow)
        return view.current_case() if isinstance(view, CaseViewWindow) else None

    def new_case(self) -> QInputDialog:
        return self.show_case_view().ask_new()

    def rename_case(self) -> QInputDialog | None:
        return self.show_case_view().ask_rename()

    def toggle_case(self) -> Task | None:
        view = self.show_case_view()
        if view.current_case() is None:
            self._say("Choose a case in the case view first.")
        return view.toggle_status()

    def ask_move(self) -> QInputDialog | None:
        """Ask which open case to move the selected captures to (Ctrl+Shift+M)."""
        ids = self.views.selected_ids()
        if not ids:
            self._say("Select the captures to move first.")
            return None
        names = [c.name for c in self.session.reader.cases.all() if c.status == "open"]
        if not names:
            self._say("There is no open case: create one first (Ctrl+Shift+N).")
            return None
        dialog = QInputDialog(self.window)
        dialog.setObjectName("moveToCaseDialog")
        dialog.setAccessibleName("Move to case")
        dialog.setWindowTitle("Move to case")
        dialog.setLabelText(f"Move {len(ids)} selected capture(s) to the case:")
        dialog.setComboBoxItems(names)
        chosen = self.current_case()
        if chosen in names:
            dialog.setTextValue(chosen)
        dialog.textValueSelected.connect(lambda name: self.move_to_case(ids, name))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def move_to_case(self, ids: list[int], name: str) -> Task:
        """Move captures ``ids`` into case ``name`` (one audited change)."""
        def done(moved: Any) -> None:
            emit(self.ops.capturesChanged, list(ids))
            self._say(f"Moved {len(moved)} capture(s) to case {name!r}." if moved
                      else f"Already in case {name!r}.", 10_000)

        return self.ops.run("Move to case", lambda ws, _t: ws.cases.move(ids, name),
                            on_done=done, changed=(self.ops.casesChanged,))

    def assign_exhibits(self) -> Task | None:
        """Give the selected captures their exhibit references (Ctrl+E); those that
        have one keep it."""
        ids = self.views.selected_ids()
        if not ids:
            current = self.views.current_id()
            ids = [current] if current is not None else []
        if not ids:
            self._say("Select the captures to give exhibit references first.")
            return None

        def done(refs: Any) -> None:
            emit(self.ops.capturesChanged, list(ids))
            shown = ", ".join(f"#{cid} {ref}" for cid, ref in sorted(refs.items()))
            self._say(f"Exhibit references: {shown}", 10_000)

        return self.ops.run("Exhibit references",
                            lambda ws, _t: ws.exhibits.assign_many(ids), on_done=done)

    def open_report(self) -> Any:
        """Case → Report… on the case chosen in the case view (the report module decides
        what else to ask)."""
        try:  # the report (ui/report/) may not be part of this build
            open_report_dialog = importlib.import_module("ui.report.dialog").open_report_dialog
        except (ImportError, AttributeError):
            self._say("The case report is not available in this version.")
            return None
        name = self.current_case()
        if name is None:
            self.show_case_view()
            self._say("Choose a case in the case view, then Report… again.")
            return None
        return open_report_dialog(self.window, name)

    # ------------------------------------------------------------ case exchange
    def chosen_case(self) -> str | None:
        """The case the window is on: chosen in the case view, else the case the gallery
        is filtered on, else the current capture's."""
        name = self.current_case()
        if name is not None:
            return name
        reader = self.session.reader
        what = self.shown_filter() if self.shown_filter is not None else None
        if what is not None and what.kind == "case":
            found = [c.name for c in reader.cases.all() if str(c.id) == what.value]
            if found:
                return found[0]
        current = self.views.current_id()
        if current is None:
            return None
        try:
            return reader.captures.get(current).case
        except WorkstationError:
            return None

    def show_colleagues(self) -> ColleaguesWindow:
        """Workspace → Colleagues…."""
        return open_colleagues(self.session, self.ops, self.window)

    def export_case(self) -> Any:
        """Case → Export…: the case the window is on, to colleagues ticked."""
        return open_export_case(self.session, self.ops, self.window, self.chosen_case(),
                                self.show_colleagues)

    def import_case(self) -> ImportCaseDialog | None:
        """File → Import case…: a bundle a colleague gave."""
        return ask_import_case(self.ops, self.window, self._imported)

    def _imported(self, summary: MergeSummary) -> None:
        if self.reload is not None:
            self.reload()  # new captures, the case, their OCR state and flags
        self._say(f"Imported case {summary.case!r}: {len(summary.added)} capture(s) added, "
                  f"{len(summary.present)} already here.", 10_000)
