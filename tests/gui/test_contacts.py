"""The Contacts and keys window driven through its widgets, on a real temporary
workspace with the file-backed secret store (its passphrase dialog answered here).

Contacts are added (malformed keys refused with the core's message), marked
verified with a note, exported to and imported from the core's contacts file;
the agency keys are created (also from the first-start offer), rotated, and
their public key shown, copied and exported in minisign's format.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
)
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from tests.conftest import require_tool
from tests.gui.guiutil import GUI_MARKS, answer_passphrase, wait_idle
from ui.app import ask_analyst_name
from ui.common.operations import Operations
from ui.common.session import Session
from ui.contacts.contactdialogs import ContactDialog, VerifyDialog
from ui.contacts.contacts import ContactsWindow, offer_agency_keys
from ui.main.mainwindow import MainWindow
from workstation.crypto import signing
from workstation.crypto.recipients import InvalidRecipient, parse_recipient
from workstation.workspace import Workspace

pytestmark = GUI_MARKS

GROUPED = re.compile(r"^[0-9a-f]{4}( [0-9a-f]{4}){7}$")













def assert_monospaced(font: QFont, text: str) -> None:
    """What the user sees: every character of ``text`` (spaces included) advances by
    the same width, so fingerprints line up in columns and read aloud group by group.
    Tested on the glyphs, not ``QFontInfo.fixedPitch()``, which is false for some
    monospaced fonts (Noto Sans Mono) depending on which fonts a machine has."""
    metrics = QFontMetrics(font)
    advances = {ch: metrics.horizontalAdvance(ch) for ch in set(text) if ch != "\n"}
    assert len(advances) > 8, advances
    assert len(set(advances.values())) == 1, advances

def age_recipient() -> str:
    return str(pyrage.x25519.Identity.generate().to_public())


def ssh_recipient(comment: str = "trust@platform.example") -> str:
    key = Ed25519PrivateKey.generate().public_key()
    text = key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode("ascii")
    return f"{text} {comment}"


def offer(w: MainWindow) -> QMessageBox | None:
    """The first-start offer, wired as ``ui.app.main`` wires it."""
    return offer_agency_keys(w.reader, w.ops, w, notify=w.notify)


def open_contacts(qtbot: QtBot, w: MainWindow) -> ContactsWindow:
    w.acts.contacts.trigger()
    found = w.findChild(ContactsWindow)
    assert isinstance(found, ContactsWindow)
    qtbot.waitExposed(found)
    return found


def button(parent: QDialog | QMessageBox, name: str) -> QPushButton:
    found = parent.findChild(QPushButton, name)
    assert isinstance(found, QPushButton), name
    return found


def click(qtbot: QtBot, parent: QDialog | QMessageBox, name: str) -> None:
    qtbot.mouseClick(button(parent, name), Qt.MouseButton.LeftButton)


def text_of(parent: QDialog, name: str) -> str:
    label = parent.findChild(QLabel, name)
    assert isinstance(label, QLabel), name
    return label.text()


def error_boxes() -> list[str]:
    """The texts of the error boxes shown now."""
    return [t.text() for t in QApplication.topLevelWidgets()
            if isinstance(t, QMessageBox) and t.objectName() == "errorBox" and t.isVisible()]


def table_rows(table: QTableWidget) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]





def fill_contact(qtbot: QtBot, dialog: ContactDialog, *, platform: str = "instagram",
                 name: str = "Jo Trust", email: str = "jo@platform.example",
                 keys: list[str] | None = None) -> None:
    combo = dialog.findChild(QComboBox, "platform")
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    combo.setCurrentIndex(combo.findData(platform))
    for field, text in (("name", name), ("organisation", "Platform Trust & Safety"),
                        ("role", "LE response"), ("email", email)):
        edit = dialog.findChild(QLineEdit, field)
        assert isinstance(edit, QLineEdit)
        qtbot.keyClicks(edit, text)
    box = dialog.findChild(QPlainTextEdit, "recipients")
    assert isinstance(box, QPlainTextEdit)
    box.setPlainText("\n".join(keys if keys is not None else [age_recipient()]))


def add_contact(qtbot: QtBot, w: MainWindow, **details: object) -> int:
    """A contact added through the core on the writer (setup for other tests)."""
    results: list[int] = []
    w.ops.run("setup", lambda ws, _t: ws.contacts.add(**details).id, on_done=results.append,
              changed=(w.ops.contactsChanged,))
    wait_idle(qtbot, w)
    return results[0]


# ---------------------------------------------------------------------- tests
def test_action_and_shortcut(qtbot: QtBot, window: MainWindow) -> None:
    assert window.acts.contacts.shortcut() == QKeySequence("Ctrl+Shift+K")
    contacts = open_contacts(qtbot, window)
    assert contacts.contacts_table.rowCount() == 0
    assert "No agency keys yet" in contacts.agency_fingerprint.text()
    assert contacts.create_button.isEnabled() and not contacts.rotate_button.isEnabled()
    window.acts.contacts.trigger()  # one window, raised again
    assert len(window.findChildren(ContactsWindow)) == 1


def test_a_contact_is_added_through_the_dialog_and_listed_with_fingerprints(
        qtbot: QtBot, window: MainWindow) -> None:
    contacts = open_contacts(qtbot, window)
    click(qtbot, contacts, "addContact")
    dialog = contacts.dialog
    assert isinstance(dialog, ContactDialog) and dialog.objectName() == "contactDialog"
    age, ssh = age_recipient(), ssh_recipient()
    fill_contact(qtbot, dialog, keys=[age, "", ssh])
    with qtbot.waitSignal(contacts.reloaded, timeout=20_000):
        click(qtbot, dialog, "addContactOk")
    wait_idle(qtbot, window)

    assert not isValid(dialog) or not dialog.isVisible()
    [stored] = window.reader.contacts.all()
    assert (stored.platform, stored.name, stored.organisation, stored.role, stored.email) == (
        "instagram", "Jo Trust", "Platform Trust & Safety", "LE response",
        "jo@platform.example")
    assert [k.recipient for k in stored.recipients] == [age, parse_recipient(ssh).text]
    assert window.reader.audit_entries()[-1].action == "contact.add"

    [row] = table_rows(contacts.contacts_table)
    assert row[:5] == ["Instagram", "Jo Trust", "Platform Trust & Safety",
                       "jo@platform.example", "NOT VERIFIED"]
    fingerprints = [parse_recipient(k).fingerprint for k in (age, ssh)]
    assert row[5] == "; ".join(fingerprints)
    shown = contacts.contact_fingerprints
    assert contacts.selected_contact_id() == stored.id  # the new contact is selected
    lines = shown.text().splitlines()
    assert "not verified yet" in lines[0]
    assert [line.split(None, 1)[1] for line in lines[1:]] == fingerprints
    assert all(GROUPED.match(fp) for fp in fingerprints)
    assert_monospaced(shown.font(), shown.text())
    assert shown.font().pointSizeF() > contacts.font().pointSizeF()
    assert shown.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert "Compare the fingerprints" in contacts.status.text()


@pytest.mark.parametrize("bad", [
    "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 someone@host",
    "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
])
def test_malformed_keys_are_refused_with_the_cores_message(
        qtbot: QtBot, window: MainWindow, bad: str) -> None:
    contacts = open_contacts(qtbot, window)
    click(qtbot, contacts, "addContact")
    dialog = contacts.dialog
    assert isinstance(dialog, ContactDialog)
    fill_contact(qtbot, dialog, keys=[bad])
    click(qtbot, dialog, "addContactOk")
    wait_idle(qtbot, window)

    with pytest.raises(InvalidRecipient) as core:
        parse_recipient(bad)
    assert dialog.isVisible()
    assert text_of(dialog, "contactProblem") == str(core.value)
    assert "AGE-SECRET-KEY-1QQQ" not in text_of(dialog, "contactProblem")
    assert window.reader.contacts.all() == []

    # With several keys the message says which one.
    dialog.recipients.setPlainText(f"{age_recipient()}\n{bad}")
    click(qtbot, dialog, "addContactOk")
    assert text_of(dialog, "contactProblem") == f"Key 2: {core.value}"


def test_what_the_core_refuses_on_the_writer_is_shown_in_the_dialog(
        qtbot: QtBot, window: MainWindow) -> None:
    contacts = open_contacts(qtbot, window)
    click(qtbot, contacts, "addContact")
    dialog = contacts.dialog
    assert isinstance(dialog, ContactDialog)
    fill_contact(qtbot, dialog, email="not-an-address")
    click(qtbot, dialog, "addContactOk")
    wait_idle(qtbot, window)
    assert dialog.isVisible() and dialog.buttons.isEnabled()
    assert text_of(dialog, "contactProblem") == (
        "'not-an-address' is not an e-mail address (name@example.com).")
    assert window.reader.contacts.all() == []
    assert not [t for t in QApplication.topLevelWidgets()
                if isinstance(t, QMessageBox) and t.isVisible()]  # no second box


def test_a_contact_is_marked_verified_with_a_note(qtbot: QtBot, window: MainWindow) -> None:
    contact_id = add_contact(qtbot, window, platform="tiktok", name="Sam Safety",
                             email="sam@tiktok.example", recipients=[ssh_recipient()])
    contacts = open_contacts(qtbot, window)
    contacts.contacts_table.selectRow(0)
    click(qtbot, contacts, "verifyContact")
    dialog = contacts.dialog
    assert isinstance(dialog, VerifyDialog) and dialog.objectName() == "verifyDialog"
    fingerprint = window.reader.contacts.get(contact_id).recipients[0].fingerprint
    assert fingerprint in text_of(dialog, "verifyFingerprints")
    qtbot.keyClicks(dialog.note, "read back by phone to Sam, 14:05")
    with qtbot.waitSignal(contacts.reloaded, timeout=20_000):
        click(qtbot, dialog, "verifyOk")
    wait_idle(qtbot, window)

    stored = window.reader.contacts.get(contact_id)
    assert stored.verified_by == "Test Analyst"
    assert stored.verify_note == "read back by phone to Sam, 14:05"
    entry = window.reader.audit_entries()[-1]
    assert entry.action == "contact.verify" and entry.details["fingerprints"] == [fingerprint]
    [row] = table_rows(contacts.contacts_table)
    assert row[4] == f"Test Analyst, {stored.verified_at}"
    assert contacts.contacts_table.item(0, 4).toolTip() == stored.verify_note
    assert "verified by Test Analyst" in contacts.contact_fingerprints.text()


def test_contacts_are_exported_and_imported_as_the_cores_file(
        qtbot: QtBot, window: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    add_contact(qtbot, window, platform="facebook", name="Ana Meta", email="ana@fb.example",
                recipients=[age_recipient()], organisation="Meta")
    contacts = open_contacts(qtbot, window)
    exported = tmp_path / "contacts.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(exported), "Contacts file (*.json)"))
    with qtbot.waitSignal(contacts.exported, timeout=10_000):  # written off the GUI thread
        click(qtbot, contacts, "exportContacts")
    data = json.loads(exported.read_text(encoding="utf-8"))
    expected = window.reader.contacts.export()
    assert {k: v for k, v in data.items() if k != "exported_utc"} == {
        k: v for k, v in expected.items() if k != "exported_utc"}
    assert contacts.status.text() == f"Exported 1 contact(s) to {exported}."

    # A colleague's file, written by the core, imported through the window.
    other_path = tmp_path / "colleague"
    with Workspace.open(other_path) as other:
        other.contacts.add("x", "Xavi Trust", "xavi@x.example", [ssh_recipient()])
        other.contacts.verify(1, "checked by the colleague")
        theirs = tmp_path / "theirs.json"
        other.contacts.write_file(theirs)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(theirs), "Contacts file (*.json)"))
    with qtbot.waitSignal(contacts.reloaded, timeout=20_000):
        click(qtbot, contacts, "importContacts")
    wait_idle(qtbot, window)
    names = [row[1] for row in table_rows(contacts.contacts_table)]
    assert sorted(names) == ["Ana Meta", "Xavi Trust"]
    xavi = next(c for c in window.reader.contacts.all() if c.name == "Xavi Trust")
    assert not xavi.verified and xavi.source == "import"
    assert "Imported 1 contact(s)" in contacts.status.text()
    assert "unverified" in contacts.status.text()

    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(exported), "Contacts file (*.json)"))
    click(qtbot, contacts, "importContacts")
    wait_idle(qtbot, window)
    assert "Imported 0 contact(s); 1 already here" in contacts.status.text()
    assert len(window.reader.contacts.all()) == 2


def test_a_bad_contacts_file_is_explained(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    contacts = open_contacts(qtbot, window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    click(qtbot, contacts, "importContacts")
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: any(
        isinstance(t, QMessageBox) and t.objectName() == "errorBox" and t.isVisible()
        for t in QApplication.topLevelWidgets()), timeout=5_000)
    [box] = [t for t in QApplication.topLevelWidgets()
             if isinstance(t, QMessageBox) and t.objectName() == "errorBox" and t.isVisible()]
    assert "is not a contacts file exported by" in box.text()
    assert "Traceback" not in box.text()


def test_agency_keys_are_created_rotated_and_their_public_key_exported(
        qtbot: QtBot, window: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    contacts = open_contacts(qtbot, window)
    with qtbot.waitSignal(window.passphrases.asked, timeout=20_000) as asked:
        click(qtbot, contacts, "createKeys")
    assert asked.args[0].again is not None  # a new passphrase is chosen, typed twice
    with qtbot.waitSignal(contacts.reloaded, timeout=30_000):
        answer_passphrase(qtbot, asked.args[0])
    wait_idle(qtbot, window)

    keys = window.reader.keys.all()
    assert sorted(k.kind for k in keys) == ["archive", "reply", "signing"]
    signing = next(k for k in keys if k.kind == "signing")
    rows = table_rows(contacts.keys_table)
    assert [r[0] for r in rows] == [k.kind for k in keys]
    assert [signing.kind, signing.key_id, signing.fingerprint, signing.created_at,
            "current"] in rows
    assert contacts.agency_fingerprint.text().startswith(signing.fingerprint)
    assert_monospaced(contacts.agency_fingerprint.font(), contacts.agency_fingerprint.text())
    public = window.reader.keys.export_public_key()
    assert contacts.public_key.toPlainText() == public
    assert public.startswith("untrusted comment:")
    assert not contacts.create_button.isEnabled() and contacts.rotate_button.isEnabled()
    assert (window.session.path / "secrets").is_dir()

    click(qtbot, contacts, "copyPublicKey")
    assert QGuiApplication.clipboard().text() == public
    target = tmp_path / "agency.pub"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(contacts.exported, timeout=10_000):  # the core writes it
        click(qtbot, contacts, "exportPublicKey")
    assert target.read_text(encoding="utf-8") == public
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # public: readable by all
    assert str(target) in contacts.status.text()
    # A folder that cannot hold it: the core's one-line sentence, in a box.
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(blocked / "agency.pub"), ""))
    click(qtbot, contacts, "exportPublicKey")
    qtbot.waitUntil(lambda: bool(error_boxes()), timeout=10_000)
    [message] = error_boxes()
    assert message.startswith("Cannot write the public key file") and "\n" not in message
    for top in QApplication.topLevelWidgets():
        if isinstance(top, QMessageBox) and top.isVisible():
            top.close()

    box = contacts.rotate_key()
    assert box.objectName() == "rotateConfirmBox"
    with qtbot.waitSignal(contacts.reloaded, timeout=30_000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    after = window.reader.keys.all()
    signing_keys = [k for k in after if k.kind == "signing"]
    assert len(signing_keys) == 2
    assert [k.key_id for k in signing_keys if k.retired_at] == [signing.key_id]
    assert contacts.public_key.toPlainText() == window.reader.keys.export_public_key() != public
    assert window.reader.audit_entries()[-1].action == "key.rotate"
    assert "send platforms the new public key" in contacts.status.text()


def test_the_exported_public_key_verifies_with_minisign(
        qtbot: QtBot, window: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    minisign = require_tool("minisign")
    contacts = open_contacts(qtbot, window)
    with qtbot.waitSignal(window.passphrases.asked, timeout=20_000) as asked:
        click(qtbot, contacts, "createKeys")
    answer_passphrase(qtbot, asked.args[0])
    wait_idle(qtbot, window)
    target = tmp_path / "agency.pub"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(contacts.exported, timeout=10_000):
        click(qtbot, contacts, "exportPublicKey")
    # Sign a file with the agency's (stored, encrypted) key, then check it with minisign.
    message = tmp_path / "SHA256SUMS"
    message.write_text("abc  file\n")
    signature: list[str] = []
    window.ops.run("sign", lambda ws, _t: signing.sign_file(ws.keys.signing_key(), message),
                   on_done=signature.append)
    wait_idle(qtbot, window)
    (tmp_path / "SHA256SUMS.minisig").write_text(signature[0])
    subprocess.run([minisign, "-V", "-p", str(target), "-m", str(message)], check=True,
                   capture_output=True)


def test_first_start_offer_creates_the_keys(qtbot: QtBot, window: MainWindow) -> None:
    box = offer(window)
    assert isinstance(box, QMessageBox) and box.objectName() == "keyOfferBox"
    assert box.text() == "Create the agency signing key now?"
    assert box.isVisible() and window.isEnabled()  # window-modal, not blocking the loop
    with qtbot.waitSignal(window.passphrases.asked, timeout=20_000) as asked:
        click(qtbot, box, "createKeysNow")
    answer_passphrase(qtbot, asked.args[0])
    wait_idle(qtbot, window)
    assert {k.kind for k in window.reader.keys.all()} == {"archive", "reply", "signing"}
    assert "agency keys were created" in window.statusBar().currentMessage()
    assert offer(window) is None  # nothing more to offer


def test_first_start_offer_later_or_cancelled_passphrase_creates_nothing(
        qtbot: QtBot, window: MainWindow) -> None:
    box = offer(window)
    assert box is not None
    click(qtbot, box, "keysLater")
    wait_idle(qtbot, window)
    assert window.reader.keys.all() == []

    box = offer(window)
    assert box is not None
    with qtbot.waitSignal(window.passphrases.asked, timeout=20_000) as asked:
        click(qtbot, box, "createKeysNow")
    asked.args[0].reject()
    wait_idle(qtbot, window)
    assert window.reader.keys.all() == []
    assert error_boxes() == ["No passphrase was given; nothing was changed."]


def test_no_offer_when_the_analyst_is_known(session: Session) -> None:
    assert ask_analyst_name(session) is None  # WORKSTATION_ANALYST is set: not a first start


def test_the_window_gets_its_collaborators_not_the_main_window(
        qtbot: QtBot, session: Session) -> None:
    """Built from the session and the operations alone, it follows what they report."""
    ops = Operations(session)
    contacts = ContactsWindow(session, ops)
    qtbot.addWidget(contacts)
    with qtbot.waitSignal(contacts.reloaded, timeout=20_000):
        ops.run("setup", lambda ws, _t: ws.contacts.add(
            "x", "Xavi Trust", "xavi@x.example", [age_recipient()]),
            changed=(ops.contactsChanged,))
    assert [row[:2] for row in table_rows(contacts.contacts_table)] == [["X", "Xavi Trust"]]
    qtbot.waitUntil(lambda: not session.tasks.busy, timeout=10_000)
