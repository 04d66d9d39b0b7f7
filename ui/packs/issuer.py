"""The issuer identity dialog: the agency, its unit, the 24/7 contact and the reply
address that every pack names (:mod:`workstation.packs.issuer`).

It opens at the first start (:func:`offer_issuer`: "Later" skips it), when the analyst
seals a pack before the identity is set up (the composer continues once it is saved)
and from Workspace → Contacts and keys.  Each value is
checked in the dialog by the core's own rule (``workstation.settings.check``), so what
the dialog accepts is what ``workstation config`` accepts; they are stored together on
the writer (audited), then ``saved`` is emitted and the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.qtutil import buddy_label, emit
from ui.common.theme import warning_colour
from workstation.errors import WorkstationError
from workstation.packs.issuer import ISSUER_KEYS, ISSUER_LABELS, check_issuer, missing_issuer
from workstation.settings import SettingSource
from workstation.workspace import Workspace

#: Each field's label (with its Alt+letter) and example.
FIELDS = {
    "agency_name": ("&Agency:", "Example Police Service"),
    "issuing_unit": ("&Unit:", "Online Referrals Unit"),
    "contact_24x7_name": ("24/7 &contact:", "Control Room"),
    "contact_24x7_phone": ("24/7 &phone:", "+44 20 7946 0000"),
    "contact_24x7_email": ("24/7 &e-mail:", "control@police.example"),
    "reply_to": ("&Reply address:", "outcomes@police.example"),
}


class IssuerDialog(QDialog):
    """Ask for the issuer identity (missing fields first, marked).

    Signals:
        saved(dict): the values were stored (key -> value as stored).

    Attributes:
        fields: the line edit of each issuer setting key (object name ``issuer_KEY``).
        problem: why a value was refused (object name ``issuerProblem``).
    """

    saved = Signal(dict)

    def __init__(self, reader: SettingSource, ops: Operations, *,
                 missing: list[str] | None = None, later: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issuerDialog")
        self.setWindowTitle("Issuer identity")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.ops = ops
        self._initial = {key: reader.setting(key) or "" for key in ISSUER_KEYS}
        missing = missing if missing is not None else missing_issuer(reader)
        names = ", ".join(ISSUER_LABELS[k] for k in missing)
        intro = QLabel(
            "Every alert pack names the agency that sends it, a contact platforms can reach "
            "day and night, and the address they send their outcomes to. Nothing is sealed "
            "until these are set." + (f"\n\nMissing: {names}." if missing else ""), self)
        intro.setWordWrap(True)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for key in ISSUER_KEYS:
            label, example = FIELDS[key]
            field = QLineEdit(self._initial[key], self)
            field.setObjectName(f"issuer_{key}")
            field.setPlaceholderText(f"such as {example}")
            field.setAccessibleName(ISSUER_LABELS[key])
            self.fields[key] = field
            form.addRow(buddy_label(label, self, field), field)
        self.problem = QLabel(self)
        self.problem.setObjectName("issuerProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {warning_colour(self.palette()).name()}")
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if later:  # the first start: skipping is fine, sealing asks again
            cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
            cancel.setText("&Later")
            cancel.setObjectName("issuerLater")
            cancel.setAccessibleDescription("Set the identity later, in Workspace → Contacts "
                                            "and keys; nothing is sealed until it is set.")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        first = next((k for k in ISSUER_KEYS if k in missing), ISSUER_KEYS[0])
        self.fields[first].setFocus(Qt.FocusReason.OtherFocusReason)

    def values(self) -> dict[str, str]:
        """Every field, checked as it will be stored; :class:`WorkstationError` (with the
        field at fault focused and the reason shown) for the first refused."""
        checked: dict[str, str] = {}
        for key, field in self.fields.items():
            try:
                checked.update(check_issuer({key: field.text()}))
            except WorkstationError as exc:
                self.problem.setText(message_for(exc))
                self.problem.setVisible(True)
                field.setFocus(Qt.FocusReason.OtherFocusReason)
                field.selectAll()
                raise
        return checked

    def accept(self) -> None:
        try:
            values = self.values()
        except WorkstationError:
            return
        changes = {k: v for k, v in values.items() if v != self._initial[k]}
        self.problem.setVisible(False)
        self.buttons.setEnabled(False)

        def store(ws: Workspace, _task: object) -> None:
            for key, value in changes.items():
                ws.set_setting(key, value)

        def stored(_result: object) -> None:
            for key in changes:
                emit(self.ops.settingsChanged, key)
            emit(self.saved, values)
            super(IssuerDialog, self).accept()

        def failed(message: str) -> None:
            self.buttons.setEnabled(True)
            self.problem.setText(message)
            self.problem.setVisible(True)

        self.ops.run("Saving the issuer identity", store, on_done=stored, on_error=failed)


def ask_issuer(reader: SettingSource, ops: Operations, *, missing: list[str] | None = None,
               then: Callable[[], object] | None = None,
               parent: QWidget | None = None) -> IssuerDialog:
    """Open the issuer dialog over ``parent`` (not blocking); ``then`` runs once the
    identity is stored (the composer's seal continues)."""
    dialog = IssuerDialog(reader, ops, missing=missing, parent=parent)
    if then is not None:
        dialog.saved.connect(lambda _values: then())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def offer_issuer(reader: SettingSource, ops: Operations, *, then: Callable[[], object],
                 parent: QWidget | None = None) -> IssuerDialog | None:
    """At the first start, ask for the issuer identity packs need, over ``parent`` and
    without blocking; "Later" skips it.  ``then`` runs once the dialog is closed either
    way (at once, with ``None`` returned, when the identity is complete already)."""
    if not missing_issuer(reader):
        then()
        return None
    dialog = IssuerDialog(reader, ops, later=True, parent=parent)
    dialog.finished.connect(lambda _result: then())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
