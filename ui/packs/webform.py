""""Copy for web form" in the outbox: many platforms take law-enforcement referrals
through their own web forms, so a sealed pack's items -- URL, content id, account,
policy, requested action, priority, deadline, one row each -- go on the clipboard,
tab-separated (a header row first), to paste field by field or into a sheet.

The rows are those of the pack's ``portal.csv`` (:mod:`workstation.packs.format.portal`),
rebuilt from the pack's record and its captures: a few small reads of the read-only
workspace, nothing long on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton

from workstation.packs.format.portal import portal_tsv, sealed_pack_rows
from workstation.packs.models import Pack
from workstation.workspace import Workspace

if TYPE_CHECKING:
    from ui.packs.outbox import OutboxWindow


def web_form_text(reader: Workspace, pack: Pack) -> str:
    """The clipboard text for ``pack``: a header row, then one tab-separated row per item."""
    captures = reader.captures.by_ids([item.capture_id for item in pack.items])
    return portal_tsv(sealed_pack_rows(pack, captures))


class WebFormCopy(QObject):
    """The outbox's "Copy for web form" button (Alt+W), enabled for a sealed pack.

    Attributes:
        button: the push button, added to the outbox's row of buttons.
    """

    def __init__(self, outbox: OutboxWindow, buttons: QHBoxLayout) -> None:
        super().__init__(outbox)
        self.outbox = outbox
        self.button = QPushButton("Copy for &web form", outbox)
        self.button.setObjectName("outboxWebForm")
        self.button.setToolTip("Put the chosen pack's items (URL, content id, account, "
                               "policy, action, priority, deadline) on the clipboard, "
                               "tab-separated, for a platform's web reporting form.")
        self.button.clicked.connect(self.copy)
        self.button.setEnabled(False)
        buttons.addWidget(self.button)
        outbox.packs.itemSelectionChanged.connect(self.update_state)

    def update_state(self) -> None:
        pack = self.outbox.current_pack()
        self.button.setEnabled(pack is not None and pack.state != "draft")

    def copy(self) -> str | None:
        """Put the chosen pack's rows on the clipboard; return the text (``None``: no
        sealed pack is chosen)."""
        pack = self.outbox.current_pack()
        if pack is None or pack.state == "draft":
            return None
        text = web_form_text(self.outbox.reader, pack)
        QApplication.clipboard().setText(text)
        self.outbox.status.setText(
            f"Copied {len(pack.items)} item(s) of {pack.ref} for a web form: paste them "
            "into the platform's reporting form (tab-separated, header row first).")
        return text
