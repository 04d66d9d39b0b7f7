"""Every change the UI makes, as tasks on the writer thread.

Widgets call these methods instead of touching the workspace; each queues a
task on the session's :class:`~ui.common.tasks.TaskManager` and announces what
changed through signals once the writer has committed, so views re-read
through the read-only workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.common.qtutil import emit
from ui.common.session import Session
from ui.common.tasks import Task
from workstation.models import Capture, CaptureMeta, ImportResult, VerifyReport
from workstation.progress import CancelToken, ProgressCallback
from workstation.reading.service import OcrOutcome
from workstation.workspace import Workspace


class Operations(QObject):
    """The write side of the UI.

    Signals:
        imported(list): ``ImportResult`` items as they land (batches, in order).
        importFinished(list, str): every ``ImportResult`` of one import, at its end, and
            the capture method (``import``, ``paste``, ``watch``).
        ocrLanded(list): ``OcrOutcome`` items as they land.
        ocrFinished(list): every ``OcrOutcome`` of one run (also when cancelled).
        capturesChanged(list): ids of captures whose record changed (edits, tags, notes).
        casesChanged(): a case was created or changed.
        packsChanged(): a pack was built, sent or had outcomes recorded.
        contactsChanged(): a contact or an agency key was added or changed.
        settingsChanged(str): a workspace setting (the key) was stored.
        failed(str, str): a task failed — title and the sentence to show.

    Attributes:
        session: the open ``Session``.
    """

    imported = Signal(list)
    packsChanged = Signal()
    contactsChanged = Signal()
    settingsChanged = Signal(str)
    importFinished = Signal(list, str)
    ocrLanded = Signal(list)
    ocrFinished = Signal(list)
    capturesChanged = Signal(list)
    casesChanged = Signal()
    failed = Signal(str, str)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session

    @property
    def tasks(self) -> Any:
        return self.session.tasks

    def _fail(self, title: str) -> Callable[[str], None]:
        return lambda message: emit(self.failed, title, message)

    # ----------------------------------------------------------------- generic
    def run(self, title: str, fn: Callable[[Workspace, Task], Any], *,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[str], None] | None = None,
            cancellable: bool = False, quick: bool | None = None,
            changed: tuple[Any, ...] = ()) -> Task:
        """Run ``fn(workspace, task)`` on the writer; then emit each signal in ``changed``
        (e.g. ``(ops.packsChanged,)``) and call ``on_done``.  A failure is shown in an
        error box titled ``title`` unless ``on_error`` takes it."""

        def done(result: Any) -> None:
            for signal in changed:
                emit(signal)
            if on_done is not None:
                on_done(result)

        def failed(message: str) -> None:
            for signal in changed:
                emit(signal)  # show what is really stored
            if on_error is not None:
                on_error(message)
            else:
                emit(self.failed, title, message)

        return self.tasks.submit(title, fn, on_done=done, on_error=failed,
                                 cancellable=cancellable, quick=quick)

    def use_passphrases(self, provider: Callable[[Any], str]) -> Task:
        """Let the writer's secret store ask for its passphrase through ``provider``
        (a :class:`ui.common.passphrase.PassphraseBridge`) when no OS keyring holds the keys."""
        return self.run("Secrets", lambda ws, _t: ws.keys.use_secrets(passphrase_provider=provider))

    # ------------------------------------------------------------------ import
    def import_paths(self, paths: Iterable[str | Path], *, method: str = "import",
                     meta: CaptureMeta | None = None) -> Task:
        """Import files and folders (recursively); results land as each file commits."""
        todo = [str(p) for p in paths]

        def make(ws: Workspace, progress: ProgressCallback,
                 cancel: CancelToken) -> Any:
            return ws.intake.import_paths(todo, meta, method=method, progress=progress,
                                          cancel=cancel)

        title = "Importing" if method == "import" else f"Importing ({method})"
        return self.tasks.submit_stream(
            title, make, on_items=self.imported.emit,
            on_done=lambda results: emit(self.importFinished, list(results), method),
            on_error=self._fail("Import"))

    def import_bytes(self, data: bytes, *, method: str = "paste",
                     meta: CaptureMeta | None = None) -> Task:
        """Import an image held in memory (a clipboard paste)."""

        def run(ws: Workspace, task: Task) -> list[ImportResult]:
            result = ws.intake.import_bytes(data, meta, method=method)
            task.emit(result)
            return [result]

        return self.tasks.submit(
            "Pasting", run, on_items=self.imported.emit,
            on_done=lambda results: emit(self.importFinished, list(results), method),
            on_error=self._fail("Paste"), cancellable=False)

    # ------------------------------------------------------------------- edits
    def _change(self, title: str, capture_ids: list[int],
                fn: Callable[[Workspace], Any], *, cases: bool = False,
                on_done: Callable[[Any], None] | None = None) -> Task:
        def done(result: Any) -> None:
            emit(self.capturesChanged, capture_ids)
            if cases:
                emit(self.casesChanged)
            if on_done is not None:
                on_done(result)

        def failed(message: str) -> None:
            emit(self.capturesChanged, capture_ids)  # show what is really stored
            emit(self.failed, title, message)

        return self.tasks.submit(title, lambda ws, _task: fn(ws), on_done=done,
                                 on_error=failed, cancellable=False)

    def edit(self, capture_ids: Iterable[int], changes: dict[str, Any],
             on_done: Callable[[Any], None] | None = None) -> Task:
        """Apply the same metadata ``changes`` (``ws.captures.edit`` keywords) to each capture."""
        ids = list(capture_ids)

        def run(ws: Workspace) -> list[Capture]:
            return [ws.captures.edit(cid, **changes) for cid in ids]

        return self._change("Saving details", ids, run, cases="case" in changes,
                            on_done=on_done)

    def set_notes(self, capture_id: int, text: str) -> Task:
        return self._change("Saving notes", [capture_id],
                            lambda ws: ws.captures.set_notes(capture_id, text))

    def add_tags(self, capture_id: int, tags: list[str]) -> Task:
        return self._change("Tagging", [capture_id],
                            lambda ws: ws.captures.add_tags(capture_id, tags))

    def remove_tags(self, capture_id: int, tags: list[str]) -> Task:
        return self._change("Removing tags", [capture_id],
                            lambda ws: ws.captures.remove_tags(capture_id, tags))

    def set_setting(self, key: str, value: str,
                    on_done: Callable[[Any], None] | None = None) -> Task:
        """Store a workspace setting (checked and audited by the core); then
        ``settingsChanged(key)``."""

        def done(result: Any) -> None:
            emit(self.settingsChanged, key)
            if on_done is not None:
                on_done(result)

        return self.tasks.submit(f"Saving {key}", lambda ws, _t: ws.set_setting(key, value),
                                 on_done=done, on_error=self._fail("Settings"),
                                 cancellable=False)

    # --------------------------------------------------------------------- OCR
    def run_ocr(self, capture_ids: Iterable[int], lang: str | None = None) -> Task:
        """OCR captures; each outcome lands as it finishes, cancelling keeps them."""
        ids = list(capture_ids)

        def make(ws: Workspace, progress: ProgressCallback, cancel: CancelToken) -> Any:
            return ws.reading.run_ocr(ids, lang=lang or ws.reading.ocr_languages(),
                                      progress=progress, cancel=cancel)

        return self.tasks.submit_stream(
            "OCR", make, on_items=self._ocr_items,
            on_done=lambda outcomes: emit(self.ocrFinished, list(outcomes)),
            on_error=self._fail("OCR"))

    def _ocr_items(self, outcomes: list[OcrOutcome]) -> None:
        emit(self.ocrLanded, outcomes)

    # ------------------------------------------------------------------ verify
    def verify(self, on_done: Callable[[VerifyReport], None]) -> Task:
        """Re-hash the evidence and walk the audit trail (on the writer, so no change
        lands half-way through)."""
        return self.tasks.submit(
            "Verifying", lambda ws, task: ws.verify(progress=task.report,
                                                    cancel=task.cancel_token),
            on_done=on_done, on_error=self._fail("Verify"))
