"""The compact details form shown after a capture: source URL (the platform is
inferred by the core), handle, case and notes.

Made for the keyboard: the URL field has focus, Tab moves on, Enter applies,
Esc skips.  Empty fields are left as they are; the form applies the same
details to every capture it was opened for (a dropped folder, for instance).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.common.qtutil import emit
from workstation.models import Case
from workstation.platforms import PLATFORMS

FROM_URL = "(from the URL)"


class CaptureDetailsForm(QDialog):
    """Details for freshly captured evidence.

    Signals:
        applied(list, dict): capture ids and the ``ws.captures.edit`` changes to apply.

    Attributes:
        capture_ids: the captures the form is for.
        url, platform, handle, case, notes: the fields.
    """

    applied = Signal(list, dict)

    def __init__(self, capture_ids: list[int], cases: list[Case],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsForm")
        self.capture_ids = list(capture_ids)
        count = len(self.capture_ids)
        self.setWindowTitle("Capture details" if count == 1 else f"Details for {count} captures")
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://www.facebook.com/… (the platform is inferred)")
        self.platform = QComboBox(self)
        self.platform.addItem(FROM_URL, "")
        for name in PLATFORMS:
            self.platform.addItem(name, name)
        self.handle = QLineEdit(self)
        self.handle.setPlaceholderText("@account")
        self.case = QComboBox(self)
        self.case.setEditable(True)
        self.case.addItem("", "")
        for case in cases:
            if case.status == "open":
                self.case.addItem(case.name, case.name)
        self.case.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.case.lineEdit()
        if line is not None:
            line.setPlaceholderText("a case name (new names create the case)")
        self.notes = QLineEdit(self)
        self.notes.setPlaceholderText("what this advert shows")

        form = QFormLayout()
        form.addRow("Source &URL", self.url)
        form.addRow("&Platform", self.platform)
        form.addRow("&Handle", self.handle)
        form.addRow("&Case", self.case)
        form.addRow("&Notes", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Apply")
        ok.setDefault(True)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Skip")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        hint = QLabel("Enter applies, Esc skips; empty fields are left unchanged.", self)
        hint.setEnabled(False)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.url.setFocus(Qt.FocusReason.OtherFocusReason)

    def changes(self) -> dict[str, Any]:
        """The ``ws.captures.edit`` keywords for the fields filled in."""
        out: dict[str, Any] = {}
        if self.url.text().strip():
            out["source_url"] = self.url.text().strip()
        if self.platform.currentData():
            out["platform"] = self.platform.currentData()
        if self.handle.text().strip():
            out["handle"] = self.handle.text().strip()
        case = self.case.currentText().strip()
        if case:
            out["case"] = case
        if self.notes.text().strip():
            out["notes"] = self.notes.text().strip()
        return out

    def accept(self) -> None:
        changes = self.changes()
        if changes:
            emit(self.applied, self.capture_ids, changes)
        super().accept()
