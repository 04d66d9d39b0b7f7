"""The issuer identity in the window: sealing without it asks for the missing fields
(checked by the core's rules), stores them, then seals; the dialog also opens from
Contacts and keys."""

from __future__ import annotations

from pathlib import Path

import pyrage
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, answer_next_passphrase, wait_idle
from tests.gui.test_window import sample_png
from tests.issuer import TEST_ISSUER
from ui.main.mainwindow import MainWindow
from ui.packs.issuer import IssuerDialog
from workstation.models import CaptureMeta
from workstation.packs.issuer import ISSUER_KEYS

pytestmark = GUI_MARKS


def _fill(qtbot: QtBot, dialog: IssuerDialog, values: dict[str, str]) -> None:
    for key, value in values.items():
        dialog.fields[key].clear()
        qtbot.keyClicks(dialog.fields[key], value)


def test_sealing_without_an_issuer_asks_for_it_then_seals(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    w = window
    w.ops.run("Keys", lambda ws, _t: ws.keys.init(), changed=(w.ops.contactsChanged,))
    answer_next_passphrase(qtbot, w)
    wait_idle(qtbot, w)
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    w.ops.run("Contact", lambda ws, _t: ws.contacts.add(
        "facebook", "Trust and Safety", "ts@facebook.example", [recipient]),
        changed=(w.ops.contactsChanged,))
    shot = tmp_path / "advert.png"
    shot.write_bytes(sample_png("english"))
    w.ops.import_paths([shot], meta=CaptureMeta(
        platform="facebook", source_url="https://www.facebook.com/groups/crossings/posts/1"))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.model.captures()) == 1, timeout=10_000)
    w.ops.set_setting("agency_name", TEST_ISSUER["agency_name"])  # one of six set already
    wait_idle(qtbot, w)

    w.views.current_view().selectAll()
    composer = w.new_pack()
    qtbot.mouseClick(composer.seal_button, Qt.MouseButton.LeftButton)
    dialog = composer.issuer_dialog
    assert dialog is not None and dialog.isVisible() and dialog.objectName() == "issuerDialog"
    assert dialog.fields["agency_name"].text() == TEST_ISSUER["agency_name"]
    assert dialog.focusWidget() is dialog.fields["issuing_unit"]  # the first one missing
    assert composer.confirm_box is None and not w.reader.packs.all()  # nothing asked or sealed

    # A phone number without its country code: refused by the core's rule, dialog stays.
    _fill(qtbot, dialog, {**TEST_ISSUER, "contact_24x7_phone": "020 7946 0000"})
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.isVisible() and "needs its country code" in dialog.problem.text()
    assert dialog.focusWidget() is dialog.fields["contact_24x7_phone"]
    assert w.reader.setting("issuing_unit") is None  # nothing stored

    _fill(qtbot, dialog, {"contact_24x7_phone": "+44 20 7946 0000"})
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert {k: w.reader.setting(k) for k in ISSUER_KEYS} == TEST_ISSUER
    # sealing continues: the unverified contact is asked about, then the pack is sealed
    qtbot.waitUntil(lambda: composer.confirm_box is not None
                    and composer.confirm_box.isVisible(), timeout=10_000)
    with qtbot.waitSignal(composer.sealed, timeout=60_000) as sealed:
        box = composer.confirm_box
        assert box is not None
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert sealed.args[0].state == "sealed"
    audit = [e for e in w.reader.audit_entries() if e.action == "settings.set"]
    assert {e.details["key"] for e in audit} == set(ISSUER_KEYS)


def test_the_issuer_dialog_opens_from_contacts_and_keys(qtbot: QtBot, window: MainWindow) -> None:
    contacts = window.show_contacts()
    button = contacts.findChild(QPushButton, "issuerIdentity")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = contacts.findChild(IssuerDialog, "issuerDialog")
    assert dialog is not None and dialog.isVisible()
    assert all(dialog.fields[k].text() == "" for k in ISSUER_KEYS)
    dialog.reject()
