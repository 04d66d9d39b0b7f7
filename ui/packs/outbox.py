"""The outbox: every alert pack with its state and per-item outcomes, sending and
retrying, the platforms' answers, and per-platform figures with a small chart.

Reads use the read-only workspace and refresh whenever
``Operations.packsChanged`` fires; sending, retrying and importing an outcome
file run on the writer thread through :class:`~ui.common.operations.Operations`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDir, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.common.errors import show_error
from ui.common.operations import Operations
from ui.common.qtutil import ask_export_folder, emit, readonly_cell, readonly_table
from ui.common.session import Session
from ui.common.tasks import Task
from ui.common.theme import warning_colour
from ui.packs.webform import WebFormCopy
from ui.timestamps.window import pack_trusted_text
from workstation.packs.models import OutcomeImport, Pack, PlatformStats, SendResult
from workstation.platforms import platform_label
from workstation.workspace import Workspace

PACK_COLUMNS = ("Pack", "Platform", "Contact", "State", "Priority", "Items", "Outcomes",
                "Created (UTC)", "Sent (UTC)", "Deadline (UTC)", "Note", "Timestamped")
ITEM_COLUMNS = ("Capture", "Outcome", "When (UTC)", "Comment")
STATS_COLUMNS = ("Platform", "Packs sent", "Items", "Answered", "Removed", "Restricted",
                 "No violation", "Already gone", "Pending", "Removal rate",
                 "Median hours to action")
REF_ROLE = Qt.ItemDataRole.UserRole + 1


def outcome_summary(pack: Pack) -> str:
    counts = Counter(item.outcome for item in pack.items)
    order = ("removed", "restricted", "no_violation", "already_gone", "pending")
    return ", ".join(f"{counts[o]} {o.replace('_', ' ')}" for o in order if counts[o])


def pack_note(pack: Pack) -> str:
    if pack.state == "sending":
        return "interrupted during the send: confirm delivery or resend"
    if pack.last_error:
        retry = f"; next try {pack.next_attempt_at}" if pack.next_attempt_at else ""
        return f"{pack.last_error}{retry}"
    if pack.state == "queued" and pack.next_attempt_at:
        return f"next try {pack.next_attempt_at}"
    if pack.destination:
        return f"{pack.transport}: {pack.destination}"
    return ""


class RateChart(QWidget):
    """Bars of the removal rate per platform (answered items removed or restricted),
    labelled with the median hours from sending to action.

    Attributes:
        stats: the figures drawn.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rateChart")
        self.stats: list[PlatformStats] = []
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_stats(self, stats: list[PlatformStats]) -> None:
        self.stats = list(stats)
        self.setAccessibleDescription("; ".join(
            f"{platform_label(s.platform)}: "
            f"{'no answers' if s.removal_rate is None else f'{s.removal_rate:.0%}'}"
            for s in self.stats))
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        if not self.stats:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "No pack has been sent yet.")
            return
        margin, top, label_h = 8, 22, 36  # room for the value above a full bar
        width = min((self.width() - 2 * margin) / len(self.stats), 140.0)
        height = self.height() - margin - top - label_h
        bar_colour = palette.color(QPalette.ColorRole.Highlight)
        for i, s in enumerate(self.stats):
            x = margin + i * width
            rate = s.removal_rate or 0.0
            bar_h = height * rate
            painter.fillRect(QRectF(x + width * 0.2, top + height - bar_h, width * 0.6, bar_h),
                             bar_colour if s.removal_rate is not None else QColor("gray"))
            value = "—" if s.removal_rate is None else f"{s.removal_rate:.0%}"
            painter.drawText(QRectF(x, top + height - bar_h - 18, width, 16),
                             Qt.AlignmentFlag.AlignCenter, value)
            median = ("" if s.median_hours_to_action is None
                      else f"\n{s.median_hours_to_action:.1f} h")
            painter.drawText(QRectF(x, top + height + 2, width, label_h),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             f"{platform_label(s.platform)}{median}")


class OutboxWindow(QMainWindow):
    """Every pack, its items' outcomes, sending, and the platforms' figures.

    Signals:
        captureOpened(int): the analyst asked to open a capture of a pack.

    Attributes:
        packs: the table of packs; items: the chosen pack's items; attempts: its sends.
        stats: the per-platform figures; chart: the removal-rate chart.
        status: the last thing that happened, in a sentence.
    """

    captureOpened = Signal(int)

    def __init__(self, session: Session, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxWindow")
        self.setWindowTitle("Outbox — alert packs")
        self.resize(1200, 760)
        self.session = session
        self.reader: Workspace = session.reader
        self.ops = ops
        self._packs: list[Pack] = []

        self.packs = readonly_table(PACK_COLUMNS, self, "outboxPacks", single=True)
        self.packs.setSortingEnabled(False)
        self.packs.setAccessibleName("Packs")
        self.items = readonly_table(ITEM_COLUMNS, self, "outboxItems")
        self.items.doubleClicked.connect(self._open_item)
        self.items.setAccessibleName("Items and outcomes of the pack")
        self.attempts = readonly_table(("When (UTC)", "Transport", "To", "Result", "Error"), self,
                               "outboxAttempts")
        self.attempts.setAccessibleName("Send attempts of the pack")
        detail = QTabWidget(self)
        detail.addTab(self.items, "I&tems and outcomes")
        detail.addTab(self.attempts, "Send &attempts")

        self.stats = readonly_table(STATS_COLUMNS, self, "outboxStats")
        self.stats.setAccessibleName("Figures by platform")
        self.chart = RateChart(self)
        figures = QWidget(self)
        figures_layout = QVBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        figures_layout.addWidget(QLabel("Per platform: removal rate (bars) and median time "
                                        "from sending to action:", figures))
        row = QHBoxLayout()
        row.addWidget(self.stats, 3)
        row.addWidget(self.chart, 2)
        figures_layout.addLayout(row)

        self.export_button = QPushButton("E&xport to folder…", self)
        self.export_button.setObjectName("outboxExport")
        self.export_button.clicked.connect(self.ask_export)
        self.email_button = QPushButton("Send by e-&mail", self)
        self.email_button.setObjectName("outboxEmail")
        self.email_button.clicked.connect(self.send_email)
        self.retry_button = QPushButton("&Retry queued now", self)
        self.retry_button.setObjectName("outboxRetry")
        self.retry_button.clicked.connect(self.retry_queued)
        self.confirm_button = QPushButton("&Confirm delivered", self)
        self.confirm_button.setObjectName("outboxConfirm")
        self.confirm_button.clicked.connect(self.confirm_delivered)
        self.resend_button = QPushButton("Re&send", self)
        self.resend_button.setObjectName("outboxResend")
        self.resend_button.clicked.connect(self.resend)
        self.outcomes_button = QPushButton("&Import outcomes…", self)
        self.outcomes_button.setObjectName("outboxOutcomes")
        self.outcomes_button.clicked.connect(self.ask_outcomes)
        buttons = QHBoxLayout()
        for button in (self.export_button, self.email_button, self.retry_button,
                       self.confirm_button, self.resend_button, self.outcomes_button):
            buttons.addWidget(button)
        self.web_form = WebFormCopy(self, buttons)  # "Copy for web form" (Alt+W)
        buttons.addStretch(1)
        self.status = QLabel(self)
        self.status.setObjectName("outboxStatus")
        self.status.setWordWrap(True)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.packs)
        split.addWidget(detail)
        split.addWidget(figures)
        split.setSizes([320, 200, 200])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(central)

        self.packs.itemSelectionChanged.connect(self._show_detail)
        ops.packsChanged.connect(self.reload)
        self.reload()

    # ----------------------------------------------------------------- reading
    def reload(self) -> None:
        keep = self.current_ref()
        contacts = {c.id: c for c in self.reader.contacts.all()}
        self._packs = sorted(self.reader.packs.all(), key=lambda p: p.id, reverse=True)
        self.packs.setRowCount(len(self._packs))
        for row, p in enumerate(self._packs):
            contact = contacts.get(p.contact_id)
            values = (p.ref, platform_label(p.platform),
                      contact.name if contact else f"#{p.contact_id}",
                      p.state, p.priority, len(p.items), outcome_summary(p), p.created_at,
                      p.sent_at or "", p.deadline_at or "", pack_note(p),
                      pack_trusted_text(self.reader.timestamps.for_subject(f"pack:{p.id}")))
            for column, value in enumerate(values):
                cell = readonly_cell(value)
                if column == 0:
                    cell.setData(REF_ROLE, p.ref)
                if column == 3 and p.state in ("sending", "draft"):
                    cell.setForeground(warning_colour(self.palette()))
                self.packs.setItem(row, column, cell)
        if keep is not None:
            self.select(keep)
        elif self._packs:
            self.packs.selectRow(0)
        stats = self.reader.outcomes.stats()
        self.stats.setRowCount(len(stats))
        for row, s in enumerate(stats):
            figures: tuple[object, ...] = (
                platform_label(s.platform), s.packs_sent, s.items, s.answered, s.removed,
                s.restricted, s.no_violation, s.already_gone, s.pending,
                "—" if s.removal_rate is None else f"{s.removal_rate:.0%}",
                "—" if s.median_hours_to_action is None else f"{s.median_hours_to_action:.1f}")
            for column, value in enumerate(figures):
                self.stats.setItem(row, column, readonly_cell(value))
        self.chart.set_stats(stats)
        self._show_detail()

    def current_ref(self) -> str | None:
        rows = {i.row() for i in self.packs.selectedIndexes()}
        if not rows:
            return None
        cell = self.packs.item(min(rows), 0)
        return str(cell.data(REF_ROLE)) if cell is not None else None

    def current_pack(self) -> Pack | None:
        ref = self.current_ref()
        return next((p for p in self._packs if p.ref == ref), None)

    def select(self, ref: str) -> bool:
        for row in range(self.packs.rowCount()):
            cell = self.packs.item(row, 0)
            if cell is not None and cell.data(REF_ROLE) == ref:
                self.packs.selectRow(row)
                return True
        return False

    def _show_detail(self) -> None:
        pack = self.current_pack()
        items = pack.items if pack is not None else ()
        self.items.setRowCount(len(items))
        for row, item in enumerate(items):
            for column, value in enumerate((f"#{item.capture_id}", item.outcome.replace("_", " "),
                                            item.outcome_at or "", item.outcome_comment or "")):
                cell = readonly_cell(value)
                if column == 0:
                    cell.setData(REF_ROLE, item.capture_id)
                self.items.setItem(row, column, cell)
        attempts = self.reader.packs.attempts(pack.ref) if pack is not None else []
        self.attempts.setRowCount(len(attempts))
        for row, attempt in enumerate(attempts):
            for column, key in enumerate(("at", "transport", "destination", "result", "error")):
                self.attempts.setItem(row, column, readonly_cell(attempt.get(key)))
        state = pack.state if pack is not None else None
        self.export_button.setEnabled(state in ("sealed", "queued"))
        self.email_button.setEnabled(state in ("sealed", "queued"))
        self.confirm_button.setEnabled(state == "sending")
        self.resend_button.setEnabled(state == "sending")

    def _open_item(self) -> None:
        rows = {i.row() for i in self.items.selectedIndexes()}
        if rows:
            cell = self.items.item(min(rows), 0)
            if cell is not None:
                emit(self.captureOpened, int(cell.data(REF_ROLE)))

    # ----------------------------------------------------------------- sending
    def _run(self, title: str, fn: Callable[[Workspace, Task], Any],
             describe: Callable[[Any], str]) -> Task:
        self.status.setText(f"{title}…")

        def done(result: Any) -> None:
            self.status.setText(describe(result))

        def failed(message: str) -> None:
            self.status.setText(f"{title}: {message}")
            show_error(self, title, message)

        return self.ops.run(title, fn, on_done=done, on_error=failed,
                            changed=(self.ops.packsChanged,))

    def ask_export(self) -> None:
        folder = ask_export_folder(self)
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str) -> Task | None:
        pack = self.current_pack()
        if pack is None:
            return None
        ref = pack.ref
        return self._run("Exporting pack",
                         lambda ws, _t: ws.outbox.send(ref, via="folder", to=folder), describe_send)

    def send_email(self) -> Task | None:
        pack = self.current_pack()
        if pack is None:
            return None
        ref = pack.ref
        return self._run("Sending pack", lambda ws, _t: ws.outbox.send(ref, via="smtp"),
                         describe_send)

    def retry_queued(self) -> Task:
        return self._run("Sending queued packs",
                         lambda ws, _t: ws.outbox.send_queued(ignore_backoff=True),
                         lambda results: "; ".join(describe_send(r) for r in results)
                         or "Nothing is queued for sending.")

    def confirm_delivered(self) -> None:
        pack = self.current_pack()
        if pack is None:
            return
        ref = pack.ref
        box = QMessageBox(QMessageBox.Icon.Question, "Confirm delivery",
                          f"Did {ref} reach {pack.destination}? Confirm only after checking "
                          "with the recipient or the mail server.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("confirmDeliveredBox")
        box.buttonClicked.connect(
            lambda button: self._run(
                "Confirming delivery", lambda ws, _t: ws.outbox.send(ref, confirm_sent=True),
                describe_send) if box.standardButton(button) == QMessageBox.StandardButton.Yes
            else None)
        box.open()

    def resend(self) -> Task | None:
        pack = self.current_pack()
        if pack is None:
            return None
        ref = pack.ref
        return self._run("Resending pack",
                         lambda ws, _t: ws.outbox.send(ref, via="smtp", resend=True), describe_send)

    # ---------------------------------------------------------------- outcomes
    def ask_outcomes(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a platform's outcome file", QDir.homePath(),
            "Outcome files (*.csv *.json *.age);;All files (*)")
        if path:
            self.import_outcomes(path)

    def import_outcomes(self, path: str) -> Task:
        def describe(result: OutcomeImport) -> str:
            packs = ", ".join(f"{ref} → {state}" for ref, state in result.packs.items())
            return f"Imported {result.rows} outcome(s) from {result.file}: {packs}."

        return self._run("Importing outcomes", lambda ws, _t: ws.outcomes.import_file(path),
                         describe)


def describe_send(result: SendResult) -> str:
    """One sentence on what became of a send (sent, queued, uncertain)."""
    if result.status == "sent":
        where = f" to {result.destination}" if result.destination else ""
        return f"{result.ref} sent via {result.transport}{where}."
    return f"{result.ref} {result.status}: {result.message}"
