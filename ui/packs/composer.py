"""The pack composer: choose a platform contact, gather captures, cite the policy,
preview the report, seal, then export to a folder or queue for e-mail.

Everything it changes goes through :class:`~ui.common.operations.Operations` (the
writer thread): sealing runs there with progress and Cancel, and the agency
key's passphrase is asked for by the writer's
:class:`~ui.common.passphrase.PassphraseBridge` only when no OS keyring holds it.
Reads (contacts, captures, policies) use the read-only workspace; the slow ones
run off the GUI thread on the background connection: the preview, and each item's
readiness (``ws.packs.readiness``: the core's per-item checks and its one platform
rule, :mod:`workstation.packs.readiness`), a result overtaken by a newer change
being dropped.  The item table, each item's own request (F2 or Enter on a row) and
image (original or redacted copy: Ctrl+Shift+E) are :mod:`ui.packs.composer_items`; an
item a platform cannot find (no URL, no content id) is sealed only once the analyst
says why (``noLocatorReasonBox``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.common.background import Background
from ui.common.errors import message_for, show_error
from ui.common.operations import Operations
from ui.common.qtutil import ask_export_folder, buddy_label, emit
from ui.common.session import Session
from ui.common.tasks import Task
from ui.packs.composer_items import PackItemsTable
from ui.packs.composer_preview import ReportPreview
from ui.packs.issuer import IssuerDialog, ask_issuer
from ui.packs.outbox import describe_send
from ui.packs.webform import web_form_text
from workstation.errors import WorkstationError
from workstation.models import Capture
from workstation.packs.format.spec import ACTIONS, PRIORITIES
from workstation.packs.issuer import missing_issuer
from workstation.packs.models import Contact, Pack, SendResult
from workstation.packs.readiness import ItemReadiness, fits
from workstation.workspace import Workspace

DEFAULT_REASON = ("Advert offering people-smuggling services (small-boat Channel crossings), "
                  "with contact details and prices.")


def contact_label(contact: Contact) -> str:
    org = f", {contact.organisation}" if contact.organisation else ""
    verified = "verified" if contact.verified else "NOT verified"
    return f"{contact.platform} — {contact.name}{org} <{contact.email}> ({verified})"


class PackComposer(QDialog):
    """Compose and seal one alert pack.

    Signals:
        sealed(object): the sealed ``Pack``.
        sent(object): the ``SendResult`` of its export or e-mail.
        previewed(object): the ``ReportPreview`` window, once the report is rendered.
        checked(list): the ``ItemReadiness`` of every item, once the core's checks for
            the items and contact shown now have landed (see :meth:`readiness`).

    Attributes:
        contact_box, basis_box, action_box, priority_box, reason: the pack's choices.
        items: the table of captures in the pack.
        preview_button, seal_button, export_button, email_button: the actions.
        progress: the sealing progress bar; cancel_button stops sealing.
        status: a sentence on what happened last.
        pack: the sealed pack, once sealed.
        preview: the last report preview shown.
        confirm_box: the last "contact not verified" question asked.
        reason_box: the last "no URL or content id: why send it?" question asked.
    """

    sealed = Signal(object)
    sent = Signal(object)
    previewed = Signal(object)
    checked = Signal(list)

    def __init__(self, session: Session, ops: Operations, *,
                 selection: Callable[[], list[int]] | None = None,
                 search_hits: Callable[[], list[int]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packComposer")
        self.setWindowTitle("New alert pack")
        self.resize(1000, 640)
        self.session = session
        self.reader: Workspace = session.reader
        self.ops = ops
        self._selection = selection or (lambda: [])
        self._search_hits = search_hits or (lambda: [])
        self._ids: list[int] = []
        self._policies: list[dict[str, Any]] = []
        self._task: Task | None = None
        self.pack: Pack | None = None
        self.preview: ReportPreview | None = None
        self.confirm_box: QMessageBox | None = None
        self.reason_box: QInputDialog | None = None
        self.issuer_dialog: IssuerDialog | None = None  # asked when sealing without one
        self._reads = Background(1, self)
        self._checks = Background(1, self)  # never queued behind a preview
        self._check_seq = 0
        self._readiness: list[ItemReadiness] | None = []
        self.finished.connect(lambda _result: self._shutdown())  # Esc, not only close

        self.contact_box = QComboBox(self)
        self.contact_box.setObjectName("contactBox")
        self.basis_box = QComboBox(self)
        self.basis_box.setObjectName("basisBox")
        self.action_box = QComboBox(self)
        self.action_box.setObjectName("actionBox")
        for action, description in ACTIONS.items():
            self.action_box.addItem(f"{action} — {description}", action)
        self.priority_box = QComboBox(self)
        self.priority_box.setObjectName("priorityBox")
        for priority in PRIORITIES:
            self.priority_box.addItem(priority, priority)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("reasonEdit")
        self.reason.setPlainText(DEFAULT_REASON)
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(70)

        form = QFormLayout()
        form.addRow(buddy_label("&Contact:", self, self.contact_box), self.contact_box)
        form.addRow(buddy_label("&Basis (policy cited):", self, self.basis_box), self.basis_box)
        row = QHBoxLayout()
        row.addWidget(self.action_box, 2)
        row.addWidget(buddy_label("P&riority:", self, self.priority_box))
        row.addWidget(self.priority_box, 1)
        form.addRow(buddy_label("Requested &action:", self, self.action_box), row)
        form.addRow(buddy_label("R&eason:", self, self.reason), self.reason)

        self.items = PackItemsTable(self)
        add_selected = QPushButton("Add &selected captures", self)
        add_selected.setObjectName("addSelected")
        add_selected.clicked.connect(lambda: self.add_captures(self._selection()))
        add_hits = QPushButton("Add search res&ults", self)
        add_hits.setObjectName("addSearchHits")
        add_hits.clicked.connect(lambda: self.add_captures(self._search_hits()))
        add_ids = QPushButton("Add by &number…", self)
        add_ids.clicked.connect(self._ask_ids)
        remove = QPushButton("Rem&ove", self)
        remove.setObjectName("removeItems")
        remove.clicked.connect(self.remove_selected)
        item_buttons = QHBoxLayout()
        for button in (add_selected, add_hits, add_ids, remove):
            item_buttons.addWidget(button)
        item_buttons.addStretch(1)

        self.unconfirmed_note = QLabel(self)  # what goes out marked unconfirmed
        self.unconfirmed_note.setObjectName("unconfirmedNote")
        self.unconfirmed_note.setWordWrap(True)
        self.unconfirmed_note.setVisible(False)
        self.status = QLabel(self)
        self.status.setObjectName("composerStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel sealing", self)
        self.cancel_button.setObjectName("cancelSeal")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_seal)

        self.preview_button = QPushButton("Pre&view report", self)
        self.preview_button.setObjectName("previewReport")
        self.preview_button.clicked.connect(self.show_preview)
        self.seal_button = QPushButton("Sea&l pack", self)
        self.seal_button.setObjectName("sealPack")
        self.seal_button.clicked.connect(self.seal)
        self.export_button = QPushButton("E&xport to folder…", self)
        self.export_button.setObjectName("exportPack")
        self.export_button.clicked.connect(self.ask_export)
        self.email_button = QPushButton("Queue for e-&mail", self)
        self.email_button.setObjectName("emailPack")
        self.email_button.clicked.connect(self.queue_email)
        self.web_form_button = QPushButton("Cop&y for web form", self)
        self.web_form_button.setObjectName("composerWebForm")
        self.web_form_button.setToolTip("Put the sealed pack's items (URL, content id, "
                                        "account, policy, action, priority, deadline) on the "
                                        "clipboard, tab-separated, for a platform's web form.")
        self.web_form_button.clicked.connect(self.copy_for_web_form)
        self.web_form_action = QAction("Copy for web form", self)
        self.web_form_action.setObjectName("composerWebFormAction")
        self.web_form_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.web_form_action.triggered.connect(self.copy_for_web_form)
        self.addAction(self.web_form_action)
        self.web_form_button.setToolTip(self.web_form_button.toolTip() + " (Ctrl+Shift+C)")
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        for button in (self.preview_button, self.seal_button, self.export_button,
                       self.email_button, self.web_form_button):
            bottom.addWidget(button)
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Captures in the pack (a pack goes to one platform):", self))
        layout.addWidget(self.items, 1)
        layout.addLayout(item_buttons)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.unconfirmed_note)
        layout.addWidget(self.status)
        layout.addLayout(bottom)

        self.contact_box.currentIndexChanged.connect(self._contact_changed)
        self.items.refused.connect(self.status.setText)  # no redacted copy to send
        for box in (self.basis_box, self.action_box, self.priority_box):
            box.currentIndexChanged.connect(lambda _i: self._show_policy())
        ops.contactsChanged.connect(self.reload_contacts)
        session.tasks.progressChanged.connect(self._progress)
        session.tasks.taskFinished.connect(self._task_finished)
        self.reload_contacts()
        self._update_buttons()

    # ---------------------------------------------------------------- contacts
    def reload_contacts(self) -> None:
        keep = self.contact_box.currentData()
        self.contact_box.blockSignals(True)
        self.contact_box.clear()
        for contact in self.reader.contacts.all():
            self.contact_box.addItem(contact_label(contact), contact.id)
        if self.contact_box.count() == 0:
            self.contact_box.addItem("No contacts yet — add one under Workspace → Contacts and "
                                     "keys", None)
        index = self.contact_box.findData(keep)
        self.contact_box.setCurrentIndex(max(index, 0))
        self.contact_box.blockSignals(False)
        self._contact_changed()

    def contact(self) -> Contact | None:
        contact_id = self.contact_box.currentData()
        return self.reader.contacts.get(int(contact_id)) if contact_id is not None else None

    def choose_contact(self, contact_id: int) -> None:
        index = self.contact_box.findData(contact_id)
        if index >= 0:
            self.contact_box.setCurrentIndex(index)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._shutdown()
        super().closeEvent(event)

    def _shutdown(self) -> None:
        self._reads.shutdown()
        self._checks.shutdown()

    def _contact_changed(self, _index: int = 0) -> None:
        contact = self.contact()
        self.basis_box.blockSignals(True)
        self.basis_box.clear()
        self._policies = []
        if contact is not None:
            try:
                self._policies = self.reader.packs.policies(contact.platform)
            except WorkstationError as exc:
                self.status.setText(message_for(exc))
        for policy in self._policies:
            section = f" — {policy['section']}" if policy.get("section") else ""
            self.basis_box.addItem(f"{policy.get('document')}: {policy.get('title')}{section}",
                                   policy.get("id"))
        self.basis_box.blockSignals(False)
        self._refresh_items()

    # ------------------------------------------------------------------- items
    def add_captures(self, capture_ids: Iterable[int]) -> None:
        """Add captures (duplicates are ignored); picks a contact of their platform
        when none fits yet."""
        added = [int(i) for i in capture_ids if int(i) not in self._ids]
        if not added:
            self.status.setText("Nothing to add: select captures in the gallery (or search) "
                                "first.")
            return
        self._ids += added
        contact = self.contact()
        captures = self.reader.captures.by_ids(self._ids)
        if contact is None or not fits(captures, contact.platform):
            self._pick_contact_for(captures)
        self._refresh_items()
        self.status.setText(f"{len(self._ids)} capture(s) in the pack.")

    def capture_ids(self) -> list[int]:
        return list(self._ids)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.items.selectedIndexes()}, reverse=True)
        for row in rows:
            del self._ids[row]
        self._refresh_items()

    def _ask_ids(self) -> None:
        text, ok = QInputDialog.getText(self, "Add captures", "Capture numbers (e.g. 3, 7, 12):")
        if ok:
            try:
                ids = [int(p.strip().lstrip("#")) for p in text.replace(",", " ").split()]
                for capture_id in ids:
                    self.reader.captures.get(capture_id)  # NotFound names the missing one
            except (ValueError, WorkstationError) as exc:
                show_error(self, "Add captures",
                           message_for(exc) if isinstance(exc, WorkstationError)
                           else f"{text!r} is not a list of capture numbers.")
                return
            self.add_captures(ids)

    def _pick_contact_for(self, captures: list[Capture]) -> None:
        platforms = {c.platform for c in captures if c.platform}
        if len(platforms) != 1:
            return
        wanted = platforms.pop()
        for i in range(self.contact_box.count()):
            contact_id = self.contact_box.itemData(i)
            if (contact_id is not None
                    and self.reader.contacts.get(int(contact_id)).platform == wanted):
                self.contact_box.setCurrentIndex(i)
                return

    def _refresh_items(self) -> None:
        """List the items at once, then their checks when the core has computed them
        off the GUI thread (``checked``); an answer overtaken by a newer change of the
        items or the contact is dropped."""
        self._check_seq += 1
        seq, ids = self._check_seq, list(self._ids)
        contact_id = self.contact_box.currentData()
        self._readiness = None
        self.items.list_ids(ids)  # rows always match self._ids
        self._show_policy()
        self._update_buttons()
        self._checks.call(
            lambda: self.session.read_in_background(
                lambda ws: (ws.packs.readiness(ids, int(contact_id) if contact_id is not None
                                               else None), ws.redactions.current_ids(ids))),
            lambda result: self._show_readiness(seq, ids, *result),
            lambda exc: self._readiness_failed(seq, exc))

    def _show_readiness(self, seq: int, ids: list[int], items: list[ItemReadiness],
                        copies: dict[int, int]) -> None:
        if seq != self._check_seq:
            return  # the items or the contact changed since
        self.items.show_copies(copies)  # which may go as their redacted copy
        found = {item.capture_id: item for item in items}
        self.items.show_readiness(ids, found)
        self._readiness = [found[i] for i in ids if i in found]
        self._show_unconfirmed(sum(item.unconfirmed for item in self._readiness))
        emit(self.checked, list(self._readiness))

    def _show_unconfirmed(self, count: int) -> None:
        """Say, before sealing, that indicators not confirmed go out listed apart."""
        self.unconfirmed_note.setVisible(count > 0)
        self.unconfirmed_note.setText(
            f"⚠ {count} indicator(s) not confirmed: the pack lists them apart, marked "
            "unconfirmed, not as indicators. Confirm or reject them in the viewer first.")

    def _readiness_failed(self, seq: int, exc: BaseException) -> None:
        if seq == self._check_seq:
            self.status.setText(f"The items could not be checked: {message_for(exc)}")

    def _show_policy(self) -> None:
        """The policy cited on every row, and the pack's choices an item's own request
        overrides (no re-read: the choices change no check)."""
        self.items.show_policy(self._policies, {
            "action": str(self.action_box.currentData() or ""),
            "priority": str(self.priority_box.currentData() or ""),
            "policy": str(self.basis_box.currentData() or "")})

    def readiness(self) -> list[ItemReadiness] | None:
        """The core's checks of the items shown, in table order; ``None`` while they
        are being computed."""
        return list(self._readiness) if self._readiness is not None else None

    # ----------------------------------------------------------------- choices
    def choices(self) -> dict[str, Any]:
        """The pack's options as ``ws.packs.build`` keywords."""
        return {"reason": self.reason.toPlainText(), "action": self.action_box.currentData(),
                "priority": self.priority_box.currentData(),
                "basis": self.basis_box.currentData(), "items": self.items.requests(),
                "redacted": self.items.redacted()}

    def _update_buttons(self) -> None:
        ready = bool(self._ids) and self.contact() is not None and self._task is None
        self.preview_button.setEnabled(ready)
        self.seal_button.setEnabled(ready and self.pack is None)
        sealed = self.pack is not None and self._task is None
        self.export_button.setEnabled(sealed)
        self.email_button.setEnabled(sealed)
        self.web_form_button.setEnabled(sealed)

    def copy_for_web_form(self) -> str | None:
        """The sealed pack's rows on the clipboard (:mod:`ui.packs.webform`)."""
        if self.pack is None:
            return None
        text = web_form_text(self.reader, self.pack)
        QApplication.clipboard().setText(text)
        self.status.setText(f"Copied {len(self.pack.items)} item(s) of {self.pack.ref} for a "
                            "web form (tab-separated, header row first).")
        return text

    # ----------------------------------------------------------------- preview
    def show_preview(self) -> bool:
        """Render the report these choices would seal, off the GUI thread (every
        item's picture is read); ``previewed`` brings the window.  False when there
        is nothing to preview."""
        contact = self.contact()
        if contact is None or not self._ids:
            return False
        ids, choices = list(self._ids), self.choices()
        self.preview_button.setEnabled(False)
        self.status.setText("Preparing the report preview…")
        self._reads.call(
            lambda: self.session.read_in_background(
                lambda ws: ws.packs.preview(contact.id, ids, **choices)),
            self._show_preview, self._preview_failed)
        return True

    def _show_preview(self, html: str) -> None:
        self._update_buttons()
        self.status.setText(f"{len(self._ids)} capture(s) in the pack.")
        self.preview = ReportPreview(html, self)
        self.preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview.destroyed.connect(lambda: setattr(self, "preview", None))
        self.preview.open()
        emit(self.previewed, self.preview)

    def _preview_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        self.status.setText(f"No preview: {message_for(exc)}")
        show_error(self, "Report preview", message_for(exc))

    # -------------------------------------------------------------------- seal
    def seal(self, *, unverified_ok: bool = False) -> Task | None:
        """Seal the pack on the writer (progress here and in the status bar; Cancel).

        A contact whose keys nobody has verified is confirmed first (a box with
        object name ``unverifiedContactBox``): a pack encrypted to an impostor's key
        would hand the evidence to the impostor."""
        contact = self.contact()
        if contact is None or not self._ids or self._task is not None:
            return None
        missing = missing_issuer(self.reader)  # never sealed without who sends it: ask
        if missing:
            self.issuer_dialog = ask_issuer(self.reader, self.ops, missing=missing, parent=self,
                                            then=lambda: self.seal(unverified_ok=unverified_ok))
            return None
        if self._ask_reason(lambda: self.seal(unverified_ok=unverified_ok)):
            return None
        if not contact.verified and not unverified_ok:
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Contact not verified",
                f"Nobody has verified the keys of {contact.name} ({contact.platform}) yet. "
                "Check the fingerprints with the platform (Workspace → Contacts and keys) "
                "before sending evidence to them.\n\nSeal the pack to these keys anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.setObjectName("unverifiedContactBox")
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.buttonClicked.connect(
                lambda button: self.seal(unverified_ok=True)
                if box.standardButton(button) == QMessageBox.StandardButton.Yes else None)
            box.open()
            self.confirm_box = box
            return None
        ids, choices = list(self._ids), self.choices()

        def run(ws: Workspace, task: Task) -> Pack:
            return ws.packs.build(contact.id, ids, cancel=task.cancel_token,
                                 progress=task.report, **choices)

        self.status.setText("Sealing: hashing the evidence, signing and encrypting…")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self._task = self.ops.run("Sealing pack", run, on_done=self._on_sealed,
                                  on_error=self._on_seal_failed, cancellable=True,
                                  changed=(self.ops.packsChanged,))
        self._update_buttons()
        return self._task

    def _ask_reason(self, then: Callable[[], object]) -> bool:
        """Ask why items a platform cannot find (no URL, no content id) go anyway, then
        ``then()``; False when none needs asking (a pack for two platforms is refused by
        the core first, so nothing is asked then)."""
        missing = self.items.needing_reason(self._readiness)
        if not missing or any(r.blocking for r in self._readiness or []):
            return False
        box = QInputDialog(self)
        box.setObjectName("noLocatorReasonBox")
        box.setWindowTitle("No URL or content id")
        box.setLabelText(
            f"Capture {', '.join(f'#{i}' for i in missing)}: no URL and no content id, so "
            "a platform may not find it. Why send it anyway? (recorded in the audit "
            "trail and the pack)")

        def answered(text: str) -> None:
            if " ".join(text.split()):
                self.items.set_reason(missing, text)
                then()
            else:
                self.status.setText("Not sealed: give a reason, or add a URL or content id.")

        box.textValueSelected.connect(answered)
        box.open()
        self.reason_box = box
        return True

    def cancel_seal(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.status.setText("Stopping… nothing is sent; the unfinished pack stays a draft.")
            self.cancel_button.setEnabled(False)

    def _progress(self, task: Task) -> None:
        if task is self._task and task.progress is not None and task.progress.total:
            self.progress.setRange(0, task.progress.total)
            self.progress.setValue(task.progress.done)

    def _task_finished(self, task: Task) -> None:
        if task is not self._task:
            return
        self._task = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if task.state == "cancelled":
            self.status.setText("Sealing was cancelled; nothing was sent. The unfinished pack "
                                "is listed in the outbox as a draft.")
        self._update_buttons()

    def _on_sealed(self, pack: Pack) -> None:
        self.pack = pack
        self.setWindowTitle(f"Alert pack {pack.ref}")
        size = f"{(pack.file_size or 0) / 1_000_000:.1f} MB"
        self.status.setText(
            f"Sealed {pack.ref}: {len(pack.items)} item(s), {size}, signed with key "
            f"{pack.signing_key_id} and encrypted to {len(pack.recipients)} key(s). "
            "Export it to a folder or removable drive, or queue it for e-mail.")
        emit(self.sealed, pack)

    def _on_seal_failed(self, message: str) -> None:
        self.status.setText(f"Not sealed: {message}")
        show_error(self, "Seal pack", message)

    # -------------------------------------------------------------------- send
    def ask_export(self) -> None:
        folder = ask_export_folder(self)
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str) -> Task | None:
        return self._send("folder", folder)

    def queue_email(self) -> Task | None:
        return self._send("smtp", None)

    def _send(self, via: str, to: str | None) -> Task | None:
        if self.pack is None:
            return None
        ref = self.pack.ref
        title = "Exporting pack" if via == "folder" else "Sending pack"
        self.status.setText(f"{title} {ref}…")

        def failed(message: str) -> None:
            self.status.setText(f"{ref}: {message}")
            show_error(self, title, message)

        return self.ops.run(title, lambda ws, _t: ws.outbox.send(ref, via=via, to=to),
                            on_done=self._on_sent, on_error=failed,
                            changed=(self.ops.packsChanged,))

    def _on_sent(self, result: SendResult) -> None:
        self.status.setText(describe_send(result))
        emit(self.sent, result)
