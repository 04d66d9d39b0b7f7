"""The viewer's redaction actions: "Redact…" (Ctrl+Shift+D) opens the editor on the
capture shown, and "Show redacted copy" shows the current redacted copy instead of the
original (read and checked off the GUI thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QToolBar

from ui.common.background import Background
from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.session import Session
from ui.gallery.wellbeing import Wellbeing
from ui.redaction.editor import RedactionEditor
from workstation.errors import WorkstationError
from workstation.workspace import Workspace

if TYPE_CHECKING:
    from ui.viewer.viewer import ViewerWindow


class RedactionActions:
    """Attached to the viewer.

    Attributes:
        redact_action: opens the editor (Ctrl+Shift+D).
        show_action: checkable; shows the current redacted copy.
        editor: the editor last opened, if any.
    """

    def __init__(self, viewer: ViewerWindow, session: Session, ops: Operations,
                 bar: QToolBar, wellbeing: Wellbeing | None = None) -> None:
        self._viewer = viewer
        self._wellbeing = wellbeing  # the editor blurs the image as the viewer does
        self._session = session
        self._ops = ops
        self._background = Background(1, viewer)
        self.editor: RedactionEditor | None = None
        self.redact_action = QAction("Redact…", viewer)
        self.redact_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.redact_action.setToolTip("Draw boxes to fill in a redacted copy (Ctrl+Shift+D); "
                                      "the original is never changed")
        self.redact_action.triggered.connect(self.open_editor)
        self.show_action = QAction("Show redacted copy", viewer)
        self.show_action.setCheckable(True)
        self.show_action.setEnabled(False)
        self.show_action.toggled.connect(self._show_copy)
        for action in (self.redact_action, self.show_action):
            viewer.addAction(action)
            bar.addAction(action)

    def open_editor(self) -> RedactionEditor | None:
        capture = self._viewer.capture
        if capture is None:
            return None
        if self.editor is not None:
            self.editor.shutdown()
            self.editor.close()
        self.editor = RedactionEditor(self._session, self._ops, capture.id, self._viewer,
                                      wellbeing=self._wellbeing)
        self.editor.applied.connect(lambda _rid: self.capture_changed(show=True))
        self.editor.show()
        self.editor.raise_()
        return self.editor

    def capture_changed(self, *, show: bool = False) -> None:
        """Another capture is shown (or a copy was made): offer the toggle if it has one."""
        capture = self._viewer.capture
        try:
            has = capture is not None and (
                self._session.reader.redactions.current(capture.id) is not None)
        except WorkstationError:
            has = False
        self.show_action.setEnabled(has)
        if self.show_action.isChecked() != (show and has):
            self.show_action.setChecked(show and has)  # (toggled: shows or hides)
        elif show and has:
            self._show_copy(True)

    def _show_copy(self, on: bool) -> None:
        capture = self._viewer.capture
        if not on or capture is None:
            self._viewer.show_image_override(None)
            return
        cid = capture.id

        def read(ws: Workspace) -> bytes:
            current = ws.redactions.current(cid)
            if current is None:
                raise WorkstationError("This capture has no redacted copy.")
            return ws.redactions.read_copy(current)

        def done(data: bytes) -> None:
            viewer = self._viewer
            if viewer.capture is None or viewer.capture.id != cid:
                return
            if self.show_action.isChecked():
                viewer.show_image_override(QImage.fromData(data))

        def failed(exc: BaseException) -> None:
            self._viewer.banner.setText(f"The redacted copy cannot be shown: {message_for(exc)}")
            self.show_action.setChecked(False)

        self._background.call(lambda: self._session.read_in_background(read), done, failed)

    def shutdown(self) -> None:
        self._background.shutdown()
        if self.editor is not None:
            self.editor.shutdown()
