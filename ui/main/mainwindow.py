"""The main window: cases and saved filters on the left, the evidence gallery (or
table) in the centre, search at the top, the writer's progress in the status bar.

The window reads through the session's read-only workspace and changes things
only through :class:`~ui.common.operations.Operations` (the writer thread); it
refreshes what it shows when the writer reports a change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QWidget,
)

from ui.audit.auditview import AuditWindow, VerifyDialog
from ui.capture.metaform import CaptureDetailsForm
from ui.capture.sources import FolderWatcher
from ui.common.background import Background
from ui.common.errors import message_for, show_error
from ui.common.geometry import place_first, restore_geometry
from ui.common.operations import Operations
from ui.common.passphrase import PassphraseBridge
from ui.common.prefs import Preferences
from ui.common.qtutil import emit
from ui.common.session import Session
from ui.contacts.contacts import ContactsWindow, open_contacts
from ui.gallery.capturemodel import CaptureModel, CaptureProxy, IdRole
from ui.gallery.gallery import CaptureViews
from ui.gallery.search import SearchPanel
from ui.gallery.sidebar import CaptureFilter, Sidebar
from ui.gallery.thumbnails import ThumbnailLoader
from ui.gallery.wellbeing import Wellbeing
from ui.main.intake import IntakeMixin
from ui.main.mainactions import build_actions, shortcut_lines
from ui.main.taskstatus import TaskStatus
from ui.packs.composer import PackComposer
from ui.packs.outbox import OutboxWindow
from ui.settings.dialog import SettingsDialog, open_settings
from ui.viewer.viewer import ViewerWindow
from workstation.models import ImportResult
from workstation.reading.service import OcrOutcome, SearchHit

SEARCH_LIMIT = 500


class MainWindow(IntakeMixin, QMainWindow):
    """The workstation's main window.

    Signals:
        refreshed(): the gallery and the side panel show the latest state.
        searched(str): the results of a search (the query) are shown.

    Attributes:
        session: the open ``Session`` (read-only workspace and writer).
        prefs: the UI ``Preferences``.
        ops: ``Operations`` (every change).
        passphrases: asks for the secret store's passphrase when the writer needs it.
        wellbeing: which images are revealed.
        model, proxy: the capture model and its filter.
        views: the gallery and table (``CaptureViews``).
        sidebar: filters and cases.
        search_box, search_panel: the search field and its results.
        task_status: the status-bar progress strip.
        viewer: the capture viewer, once opened.
        composer: the last pack composer opened, if any; outbox: the outbox window.
        details_form: the last details form opened, if any.
        last_import: the results of the last finished import.
        last_ocr: the outcomes of the last finished OCR run.
        watcher: the watched folder.
        acts: the window's actions (``ui.main.mainactions.Actions``).
    """

    refreshed = Signal()
    searched = Signal(str)

    def __init__(self, session: Session, prefs: Preferences,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.session = session
        self.prefs = prefs
        self.reader = session.reader
        self.ops = Operations(session, self)
        self.passphrases = PassphraseBridge(self)
        self.ops.use_passphrases(self.passphrases)
        self.wellbeing = Wellbeing(prefs, self)
        self.thumbs = ThumbnailLoader(session.thumbnail, parent=self)
        self.model = CaptureModel(self.thumbs, self.wellbeing, self)
        self.model.exhibit_lookup = lambda ids: self.reader.exhibits.refs_for(ids)
        self.model.overview_lookup = lambda ids: self.reader.overview.captures(ids)
        self.model.order, self.model.grouped = prefs.gallery_order, prefs.gallery_grouped
        self.proxy = CaptureProxy(self.model, self)
        self.views = CaptureViews(self.proxy, self)
        self.views.gallery.set_grouped(self.model.grouped)
        self.sidebar = Sidebar(self)
        self.search_panel = SearchPanel(self)
        self.search_panel.setVisible(False)
        self.search_box = QLineEdit(self)
        self.search_box.setObjectName("searchBox")
        self.search_box.setAccessibleName("Search")
        self.search_box.setAccessibleDescription(
            "Search the captures' text, phone numbers, handles and notes (Ctrl+F)")
        self.search_box.setPlaceholderText("Search text, numbers, handles… (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        # Narrow enough to stay on the toolbar in a small window (hidden in the
        # toolbar's overflow, Ctrl+F would do nothing); wider where there is room.
        self.search_box.setMinimumWidth(200)
        self.search_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.task_status = TaskStatus(session.tasks, self)
        self.watch_label = QLabel(self)
        self.viewer: ViewerWindow | None = None
        self.details_form: CaptureDetailsForm | None = None
        self.audit_window: AuditWindow | None = None
        self.composer: PackComposer | None = None
        self.outbox: OutboxWindow | None = None
        self.last_import: list[ImportResult] = []
        self.last_ocr: list[OcrOutcome] = []
        self._reads = Background(1, self)  # slow reads off the GUI thread
        self._search_hits: list[int] | None = None
        self._search_seq = 0
        self._search_reads = Background(1, self)  # searches never queue behind image loads
        self._flagged_soon: set[int] = set()
        self._base_filter = CaptureFilter()
        self._sent_ids: set[int] = set()

        left = QSplitter(Qt.Orientation.Vertical, self)
        left.addWidget(self.sidebar)
        left.addWidget(self.search_panel)
        self.splitter = QSplitter(self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.views)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1000])
        self.setCentralWidget(self.splitter)
        self.statusBar().addPermanentWidget(self.watch_label)
        self.statusBar().addPermanentWidget(self.task_status)
        self.setAcceptDrops(True)
        self.acts = build_actions(self)

        self._closed = False
        self._side_timer = QTimer(self)
        self._side_timer.setSingleShot(True)
        self._side_timer.setInterval(250)
        self._side_timer.timeout.connect(self._refresh_side)
        self._flags_timer = QTimer(self)  # keyword flags re-read at most twice a second
        self._flags_timer.setSingleShot(True)
        self._flags_timer.setInterval(500)
        self._flags_timer.timeout.connect(self._refresh_flags)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self.run_search)
        self.watcher = FolderWatcher(parent=self)
        self.watcher.newFiles.connect(lambda paths: self.import_paths(paths, method="watch"))

        self.sidebar.filterChosen.connect(self._filter_chosen)
        self.search_box.returnPressed.connect(self.run_search)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_panel.hitChosen.connect(self.views.select)
        self.search_panel.hitOpened.connect(self.open_capture)
        self.views.opened.connect(self.open_capture)
        self.views.selectionChanged.connect(self._selection_changed)
        self.ops.imported.connect(self._on_imported)
        self.ops.importFinished.connect(self._on_import_finished)
        self.ops.ocrLanded.connect(self._on_ocr_landed)
        self.ops.ocrFinished.connect(self._on_ocr_finished)
        self.ops.capturesChanged.connect(self._on_captures_changed)
        self.ops.casesChanged.connect(self._refresh_side)
        self.ops.packsChanged.connect(self._on_packs_changed)
        self.ops.failed.connect(lambda title, message: show_error(self, title, message))
        self.ops.settingsChanged.connect(
            lambda key: self.update_title() if key == "analyst" else None)

        self.update_title()
        self.reload()
        self._restore()
        if prefs.watch_folder:
            self.watch(prefs.watch_folder)

    # ---------------------------------------------------------------- loading
    def reload(self) -> None:
        """Re-read every capture and count (F5)."""
        reader = self.reader
        self.model.reset(reader.captures.all(), reader.reading.pending_ocr(),
                         reader.reading.flagged())
        self._sent_ids = reader.packs.sent_capture_ids()
        self._refresh_side()

    def _refresh_side(self) -> None:
        self._side_timer.stop()
        if self._closed:  # a late task result restarted the timer; the workspace may be gone
            return
        captures = self.model.captures()
        unsent = sum(1 for c in captures if c.id not in self._sent_ids)
        self.sidebar.update_counts(captures, self.reader.cases.all(),
                                   len(self.model.flagged_ids()), len(self.model.pending_ids()),
                                   unsent)
        self._apply_filter()
        emit(self.refreshed)

    def _on_packs_changed(self) -> None:
        self._sent_ids = self.reader.packs.sent_capture_ids()
        self.model.refresh_overview()  # the tiles' pack states
        self._refresh_side()

    def notify(self, text: str, msecs: int = 10_000) -> None:
        """Show ``text`` in the status bar for ``msecs`` (what dialogs get to report
        something done after they closed)."""
        self.statusBar().showMessage(text, msecs)

    def update_title(self) -> None:
        self.setWindowTitle(f"Analyst Workstation — {self.session.path} — "
                            f"{self.reader.analyst}")

    # ---------------------------------------------------------------- filters
    def _filter_chosen(self, what: CaptureFilter) -> None:
        self._base_filter = what
        if self._search_hits is not None:
            self.search_box.blockSignals(True)
            self.search_box.clear()
            self.search_box.blockSignals(False)
            self._end_search()
        self._apply_filter()

    def _apply_filter(self) -> None:
        if self._search_hits is not None:
            allowed: set[int] | None = set(self._search_hits)
        else:
            allowed = self._allowed(self._base_filter)
        if allowed != self.proxy.allowed:
            self.proxy.set_allowed(allowed)

    def _allowed(self, what: CaptureFilter) -> set[int] | None:
        if what.kind == "flagged":
            return self.model.flagged_ids()
        if what.kind == "pending":
            return self.model.pending_ids()
        if what.kind == "unsent":
            return {c.id for c in self.model.captures() if c.id not in self._sent_ids}
        if what.kind == "platform":
            return {c.id for c in self.model.captures() if c.platform == what.value}
        if what.kind == "case":
            return {c.id for c in self.model.captures() if str(c.case_id) == what.value}
        return None

    def show_filter(self, what: CaptureFilter) -> None:
        """Choose a saved filter or case (as clicking it in the side panel)."""
        self.sidebar.choose(what)

    # ----------------------------------------------------------------- search
    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def run_search(self) -> None:
        """Search for the text in the search box (empty: back to the chosen filter).

        The query runs on a background connection (ranking a broad query over a
        100,000-capture workspace takes tens of milliseconds); results arrive with
        ``searched``, and a result overtaken by newer typing is dropped."""
        self._search_timer.stop()
        query = self.search_box.text().strip()
        self._search_seq += 1
        if not query:
            self._end_search()
            self._apply_filter()
            return
        seq = self._search_seq
        self.search_panel.summary.setText(f"Searching for “{query}”…")
        self._search_reads.call(
            lambda: self.session.read_in_background(
                lambda ws: ws.reading.search(query, limit=SEARCH_LIMIT)),
            lambda hits: self._show_search(seq, query, hits),
            lambda exc: self._search_failed(seq, exc))

    def _show_search(self, seq: int, query: str, hits: list[SearchHit]) -> None:
        if seq != self._search_seq:
            return  # the analyst typed on
        self._search_hits = [h.capture_id for h in hits]
        self.sidebar.show_choice(None)  # the gallery shows the hits, not the filter
        self.search_panel.show_hits(query, hits)
        self.search_panel.setVisible(True)
        self._apply_filter()
        emit(self.searched, query)

    def _search_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._search_seq:
            return
        self.search_panel.clear()
        self.search_panel.summary.setText(message_for(exc))
        self.search_panel.setVisible(True)
        emit(self.searched, self.search_box.text().strip())

    def _end_search(self) -> None:
        self._search_seq += 1  # a search still running is dropped when it lands
        if self._search_hits is not None:
            self.sidebar.show_choice(self._base_filter)
        self._search_hits = None
        self.search_panel.clear()
        self.search_panel.setVisible(False)

    # ----------------------------------------------------------------- viewer
    def open_current(self) -> None:
        capture_id = self.views.current_id()
        if capture_id is not None:
            self.open_capture(capture_id)

    def open_capture(self, capture_id: int) -> ViewerWindow:
        """Show ``capture_id`` in the viewer window."""
        if self.viewer is None:
            self.viewer = ViewerWindow(self.session, self.ops, self.wellbeing, self)
            self.viewer.stepRequested.connect(self._step)
            state = self.prefs.state("viewer")
            if state is not None:
                self.viewer.restoreGeometry(state)
        self.viewer.show_capture(capture_id)
        self.viewer.show()
        self.viewer.raise_()
        self.viewer.activateWindow()
        return self.viewer

    def _step(self, delta: int) -> None:
        view = self.views.current_view()
        current = view.currentIndex()
        row = (current.row() if current.isValid() else -1) + delta
        if 0 <= row < self.proxy.rowCount():
            index = self.proxy.index(row, 0)
            view.setCurrentIndex(index)
            self.open_capture(int(index.data(IdRole)))

    def _selection_changed(self) -> None:
        count = len(self.views.selected_ids())
        if count > 1:
            self.statusBar().showMessage(f"{count} captures selected", 3000)

    # -------------------------------------------------------------- workspace
    def verify(self) -> None:
        self.statusBar().showMessage("Verifying every evidence file and the audit trail…")
        self.ops.verify(self._show_verify)

    def _show_verify(self, report: object) -> None:
        from workstation.models import VerifyReport

        if not isinstance(report, VerifyReport):
            return
        dialog = VerifyDialog(report, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.captureOpened.connect(self.open_capture)
        self.statusBar().showMessage(report.summary(), 10_000)
        dialog.open()

    def show_audit(self) -> AuditWindow:
        if self.audit_window is None:
            self.audit_window = AuditWindow(self.reader, self)
        else:
            self.audit_window.reload()
        self.audit_window.show()
        self.audit_window.raise_()
        return self.audit_window

    # ------------------------------------------------------------------ packs
    def search_hits(self) -> list[int]:
        """The captures the last search found (empty when no search is shown)."""
        return list(self._search_hits or [])

    def new_pack(self) -> PackComposer:
        """Open a pack composer with the selected captures in it."""
        composer = PackComposer(self.session, self.ops, selection=self.views.selected_ids,
                                search_hits=self.search_hits, parent=self)
        composer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        composer.sealed.connect(lambda pack: self.statusBar().showMessage(
            f"Sealed {pack.ref}", 10_000))
        selected = self.views.selected_ids()
        if selected:
            composer.add_captures(selected)
        self.composer = composer
        composer.destroyed.connect(lambda: setattr(self, "composer", None))
        composer.show()
        return composer

    def show_outbox(self) -> OutboxWindow:
        if self.outbox is None:
            self.outbox = OutboxWindow(self.session, self.ops, self)
            self.outbox.captureOpened.connect(self.open_capture)
        else:
            self.outbox.reload()
        self.outbox.show()
        self.outbox.raise_()
        return self.outbox

    def show_contacts(self) -> ContactsWindow:
        """The Contacts and keys window (one, raised again when open)."""
        return open_contacts(self.session, self.ops, self)

    def show_settings(self) -> SettingsDialog:
        """The Settings dialog (window-modal, not blocking)."""
        return open_settings(self.session, self.ops, self.prefs, self.wellbeing,
                             notify=self.notify, parent=self)

    def ask_analyst(self) -> None:
        name, ok = QInputDialog.getText(self, "Analyst name",
                                        "Your name, recorded with every change you make:",
                                        text=self.reader.analyst)
        if ok and name.strip():
            self.ops.set_setting("analyst", name.strip())  # the title follows

    def show_shortcuts(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts",
                          "\n".join(shortcut_lines(self.acts)), QMessageBox.StandardButton.Ok,
                          self)
        box.setObjectName("shortcutsBox")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()

    # ------------------------------------------------------------------ state
    def set_view_mode(self, mode: str) -> None:
        self.views.set_mode(mode)
        self.prefs.view_mode = mode

    def sort_gallery(self, order: str) -> None:
        """Sort the captures by ``date``, ``platform``, ``case`` or ``state`` (remembered)."""
        self.model.sort_by(order)
        self.prefs.gallery_order = order
        self.views.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        current = self.views.current_id()
        if current is not None:
            self.views.select(current)

    def group_gallery(self, on: bool) -> None:
        """Show the captures in groups of the sort order (remembered)."""
        self.model.set_grouped(on)
        self.views.gallery.set_grouped(on)
        self.prefs.gallery_grouped = on

    def _restore(self) -> None:
        if not restore_geometry(self, self.prefs.state("geometry")):
            place_first(self)  # ui/common/geometry.py: 70% of the screen, centred
        state = self.prefs.state("state")
        if state is not None:
            self.restoreState(state)
        splitter = self.prefs.state("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.views.set_mode(self.prefs.view_mode)

    def save_state(self) -> None:
        self.prefs.set_state("geometry", self.saveGeometry())
        self.prefs.set_state("state", self.saveState())
        self.prefs.set_state("splitter", self.splitter.saveState())
        if self.viewer is not None:
            self.prefs.set_state("viewer", self.viewer.saveGeometry())
        self.prefs.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self._side_timer.stop()
        self.save_state()
        if self.viewer is not None:
            self.viewer.close()
            self.viewer.shutdown()
        for window in (self.composer, self.outbox):
            if window is not None:
                window.close()
        self.watcher.watch(None)
        self.passphrases.close()
        self.session.tasks.cancel_all()
        self.thumbs.shutdown()
        self._reads.shutdown()
        self._search_reads.shutdown()
        super().closeEvent(event)
