"""Getting evidence in and read, for the main window: import (files, folders,
drag-and-drop, paste, a screen region, a watched folder), the details form after
a capture, and OCR runs — with the gallery updated as each result lands.

``IntakeMixin`` is mixed into :class:`ui.main.mainwindow.MainWindow`; it keeps the
window module small.  Every change goes through ``Operations`` (the writer).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow

from ui.capture.metaform import CaptureDetailsForm
from ui.capture.screengrab import GrabSource, ScreenGrabber, ScreenshotTool
from ui.capture.sources import (
    FolderWatcher,
    carries_capture,
    image_from_mime,
    paths_from_mime,
    png_bytes,
)
from ui.common.background import Background
from ui.common.errors import message_for, show_error
from ui.common.operations import Operations
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.gallery.capturemodel import CaptureModel
from ui.gallery.gallery import CaptureViews
from ui.main.taskstatus import TaskStatus
from workstation.errors import WorkstationError
from workstation.evidence.intake import FILE_CHANGED
from workstation.models import ImportResult
from workstation.reading.service import OcrOutcome
from workstation.workspace import Workspace

if TYPE_CHECKING:
    from ui.viewer.viewer import ViewerWindow

    _Window = QMainWindow
else:
    _Window = object

IMAGE_FILTER = ("Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.heif);;"
                "All files (*)")


class IntakeMixin(_Window):
    """Import, paste, drop, watch, details and OCR (mixed into ``MainWindow``)."""

    # Provided by MainWindow:
    session: Session
    reader: Workspace
    prefs: Preferences
    ops: Operations
    model: CaptureModel
    views: CaptureViews
    task_status: TaskStatus
    watcher: FolderWatcher
    watch_label: QLabel
    viewer: ViewerWindow | None
    details_form: CaptureDetailsForm | None
    last_import: list[ImportResult]
    last_ocr: list[OcrOutcome]
    _flagged_soon: set[int]
    _flags_timer: QTimer
    _side_timer: QTimer
    _reads: Background
    #: The last screen-region capture started (``capture_screen_region``), if any.
    screen_grabber: ScreenGrabber | None = None

    def _refresh_side(self) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- capture
    def ask_import_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import screenshots", QDir.homePath(),
                                                IMAGE_FILTER)
        if files:
            self.import_paths(files)

    def ask_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of screenshots",
                                                  QDir.homePath())
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: list[str], method: str = "import") -> None:
        """Import files and folders on the writer; results appear as they land."""
        try:
            self.ops.import_paths(paths, method=method)
        except WorkstationError as exc:
            show_error(self, "Import", message_for(exc))

    def paste(self) -> None:
        """Capture what is on the clipboard: an image, or copied image files."""
        mime = QGuiApplication.clipboard().mimeData()
        paths = paths_from_mime(mime) if mime is not None else []
        data = image_from_mime(mime) if mime is not None and not paths else None
        if paths:
            self.import_paths(paths)
        elif data:
            try:
                self.ops.import_bytes(data, method="paste")
            except WorkstationError as exc:
                show_error(self, "Paste", message_for(exc))
        else:
            self.statusBar().showMessage("The clipboard holds no image to capture.", 5000)

    def capture_screen_region(self, grab: GrabSource | None = None,
                              tools: Sequence[ScreenshotTool] | None = None) -> ScreenGrabber:
        """Hide the windows, let the analyst drag a rectangle on the screen and capture
        it (method "screen"); the details form and OCR follow as after a paste.
        ``grab`` and ``tools`` replace the screen grab and the screenshot tools found
        (see :class:`ui.capture.screengrab.ScreenGrabber`)."""
        current = self.screen_grabber
        if current is not None and current.active:
            return current
        grabber = ScreenGrabber(self, also_hide=[self.viewer], grab=grab, tools=tools)
        grabber.captured.connect(self._on_screen_captured)
        grabber.cancelled.connect(
            lambda: self.statusBar().showMessage("Screen capture cancelled.", 5000))
        grabber.failed.connect(lambda title, message: show_error(self, title, message))
        if current is not None:
            current.deleteLater()
        self.screen_grabber = grabber
        grabber.start()
        return grabber

    def _on_screen_captured(self, image: QImage) -> None:
        try:
            self.ops.import_bytes(png_bytes(image), method="screen")
        except WorkstationError as exc:
            show_error(self, "Screen capture", message_for(exc))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if carries_capture(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        paths = paths_from_mime(mime)
        if paths:
            self.import_paths(paths)
            event.acceptProposedAction()
            return
        data = image_from_mime(mime)
        if not data:
            event.ignore()
            return
        event.acceptProposedAction()
        try:
            self.ops.import_bytes(data, method="import")
        except WorkstationError as exc:
            show_error(self, "Drop", message_for(exc))

    def ask_watch_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Watch a folder (cancel to stop watching)", self.prefs.watch_folder or
            QDir.homePath())
        self.watch(folder or "")

    def watch(self, folder: str) -> None:
        """Import new images saved into ``folder`` ("" stops watching)."""
        self.watcher.watch(folder)
        self.prefs.watch_folder = str(self.watcher.folder or "")
        self.watch_label.setText(f"Watching {self.watcher.folder}" if self.watcher.folder
                                 else "")

    def _on_imported(self, results: list[ImportResult]) -> None:
        ids = [r.id for r in results if r.status == "imported" and r.id is not None]
        if not ids:
            return
        self.model.upsert(self.reader.captures.by_ids(ids))
        self.model.set_reading(pending=self.model.pending_ids() | set(ids), ids=ids)
        self._side_timer.start()

    def _on_import_finished(self, results: list[ImportResult], method: str) -> None:
        self.last_import = results
        self._refresh_side()
        new = [r.id for r in results if r.status == "imported" and r.id is not None]
        dup = [r for r in results if r.status == "duplicate"]
        rejected = [r for r in results if r.status == "rejected"]
        if method == "watch":  # still being written: the watcher tries again once it settles
            growing = [r.path for r in rejected if r.error == FILE_CHANGED]
            rejected = [r for r in rejected if r.error != FILE_CHANGED]
            self.watcher.retry(growing)
        parts = [f"{len(new)} imported"]
        if dup:
            parts.append(f"{len(dup)} already captured")
        if rejected:
            parts.append(f"{len(rejected)} refused")
        self.statusBar().showMessage("Capture: " + ", ".join(parts), 10_000)
        if rejected:
            lines = [f"{Path(r.path).name}: {r.error}" for r in rejected[:15]]
            if len(rejected) > 15:
                lines.append(f"… and {len(rejected) - 15} more")
            show_error(self, "Some files were not imported", "\n".join(lines))
        shown = new or [r.id for r in dup if r.id is not None]
        if shown:
            self.views.select(max(shown))
        if new and self.prefs.auto_ocr:
            self.model.mark_reading(new)
            self.ops.run_ocr(new)
        if new and self.prefs.ask_details and method != "watch":
            self.open_details_form(new)

    # ---------------------------------------------------------------- details
    def edit_details(self) -> None:
        ids = self.views.selected_ids()
        if ids:
            self.open_details_form(ids)
        else:
            self.statusBar().showMessage("Select captures first.", 5000)

    def open_details_form(self, capture_ids: list[int]) -> CaptureDetailsForm:
        """The details form for ``capture_ids`` (non-blocking; Enter applies)."""
        form = CaptureDetailsForm(capture_ids, self.reader.cases.all(), self)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.applied.connect(lambda ids, changes: self.ops.edit(ids, changes))
        self.details_form = form
        form.destroyed.connect(lambda *_: setattr(self, "details_form", None))
        form.open()
        return form

    def _on_captures_changed(self, ids: list[int]) -> None:
        self.model.upsert(self.reader.captures.by_ids(ids))
        self._flagged_soon |= set(ids)  # notes can change the keyword flags
        self._refresh_flags()
        if self.viewer is not None and self.viewer.capture is not None \
                and self.viewer.capture.id in ids:
            self.viewer.refresh()
        self._refresh_side()

    # -------------------------------------------------------------------- OCR
    def ocr_selected(self) -> None:
        ids = self.views.selected_ids()
        if not ids:
            self.statusBar().showMessage("Select captures to OCR first (Ctrl+Shift+R reads "
                                         "every pending one).", 5000)
            return
        self.model.mark_reading(ids)
        self.ops.run_ocr(sorted(ids))

    def ocr_pending(self) -> None:
        ids = self.reader.reading.pending_ocr()
        if not ids:
            self.statusBar().showMessage("Every capture has been OCR'd.", 5000)
            return
        self.model.mark_reading(ids)
        self.ops.run_ocr(ids)

    def cancel_task(self) -> None:
        self.task_status.cancel()

    def _on_ocr_landed(self, outcomes: list[OcrOutcome]) -> None:
        done = {o.capture_id for o in outcomes if o.status == "done"}
        if not done:
            return
        self.model.set_reading(pending=self.model.pending_ids() - done, ids=done)
        self._flagged_soon |= done
        if not self._flags_timer.isActive():
            self._flags_timer.start()
        if self.viewer is not None and self.viewer.capture is not None \
                and self.viewer.capture.id in done:
            self.viewer.refresh()
        self._side_timer.start()

    def _refresh_flags(self) -> None:
        """Re-read the keyword flags off the GUI thread (10,000 rows take tens of ms)."""
        self._flags_timer.stop()
        ids, self._flagged_soon = self._flagged_soon, set()
        if not ids:
            return

        def apply(flags: dict[int, tuple[bool, float]]) -> None:
            self.model.set_reading(flags=flags, ids=ids)
            self._side_timer.start()

        self._reads.call(lambda: self.session.read_in_background(lambda ws: ws.reading.flagged()),
                         apply)

    def _on_ocr_finished(self, outcomes: list[OcrOutcome]) -> None:
        self.last_ocr = outcomes
        self.model.mark_reading(None, on=False)  # what was not read (cancelled, failed)
        self._refresh_flags()
        self._refresh_side()
        done = sum(o.status == "done" for o in outcomes)
        failed = [o for o in outcomes if o.status != "done"]
        text = f"OCR: {done} read"
        if failed:
            text += f", {len(failed)} failed"
        self.statusBar().showMessage(text, 10_000)
        if failed:
            lines = [f"#{o.capture_id}: {o.error}" for o in failed[:15]]
            show_error(self, "Some captures could not be read", "\n".join(lines))

