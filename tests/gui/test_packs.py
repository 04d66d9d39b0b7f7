"""Alert packs in the desktop app, driven through the widgets on a real workspace:
agency keys created with the passphrase asked in a dialog, a pack composed from the
gallery's selection, its report previewed, sealed, exported to a folder and opened
by the recipient's tools; the outbox with the platform's outcome file and figures;
an e-mail send while offline that stays queued; the "not yet sent" filter.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.core.packs.test_outbox import free_port
from tests.gui.guiutil import GUI_MARKS, answer_next_passphrase, wait_idle
from tests.gui.test_window import sample_png
from tests.issuer import set_issuer
from ui.gallery.sidebar import CaptureFilter
from ui.main.mainwindow import MainWindow
from ui.packs.composer import PackComposer
from workstation.models import CaptureMeta
from workstation.packs.format.opening import open_pack

pytestmark = GUI_MARKS


def answer_unverified(qtbot: QtBot, composer: PackComposer,
                      button: QMessageBox.StandardButton) -> None:
    box = composer.confirm_box
    assert box is not None and box.isVisible() and box.objectName() == "unverifiedContactBox"
    assert "Nobody has verified the keys of Trust and Safety" in box.text()
    qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)


@pytest.fixture
def ready(qtbot: QtBot, window: MainWindow,
          tmp_path: Path) -> Iterator[tuple[MainWindow, Path, str, list[int]]]:
    """The window with agency keys, a Facebook contact (identity file returned) and two
    Facebook captures plus one TikTok capture."""
    w = window
    w.ops.run("Keys", lambda ws, _t: (set_issuer(ws), ws.keys.init()),
              changed=(w.ops.contactsChanged,))
    answer_next_passphrase(qtbot, w)  # first secret: chosen, typed twice
    wait_idle(qtbot, w)
    assert {k.kind for k in w.reader.keys.all()} == {"signing", "archive", "reply"}
    assert not list((w.session.path / "secrets").glob("*.txt"))  # never plaintext
    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "platform-key.txt"
    key_file.write_text(f"{identity}\n")
    recipient = str(identity.to_public())
    w.ops.run("Contact", lambda ws, _t: ws.contacts.add(
        "facebook", "Trust and Safety", "ts@facebook.example", [recipient],
        organisation="Meta"), changed=(w.ops.contactsChanged,))
    folder = tmp_path / "shots"
    folder.mkdir()
    paths = []
    for i, name in enumerate(("arabic", "english", "french")):
        path = folder / f"{name}.png"
        path.write_bytes(sample_png(name, marker=i))
        paths.append(path)
    w.ops.import_paths(paths[:2], meta=CaptureMeta(
        platform="facebook", source_url="https://www.facebook.com/groups/crossings/posts/1"))
    w.ops.import_paths(paths[2:], meta=CaptureMeta(
        platform="tiktok", source_url="https://www.tiktok.com/@boats_uk/video/7301"))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.model.captures()) == 3, timeout=10_000)
    ids = sorted(c.id for c in w.model.captures() if c.platform == "facebook")
    yield w, key_file, recipient, ids


def test_compose_preview_seal_export_and_outcomes(
        qtbot: QtBot, ready: tuple[MainWindow, Path, str, list[int]], tmp_path: Path) -> None:
    w, key_file, _recipient, ids = ready
    w.views.current_view().selectAll()  # all three; the TikTok one must be flagged
    composer = w.new_pack()
    assert composer.items.rowCount() == 3  # listed at once, checked off the GUI thread
    assert "facebook — Trust and Safety" in composer.contact_box.currentText()
    assert composer.basis_box.currentText().startswith("Meta Community Standards: Human "
                                                       "Exploitation")
    qtbot.waitUntil(lambda: composer.readiness() is not None, timeout=10_000)
    readiness = composer.readiness()
    assert readiness is not None
    assert [r.capture_id for r in readiness] == composer.capture_ids()  # table order
    [tiktok] = [r for r in readiness if r.platform == "tiktok"]
    assert tiktok.blocking and tiktok.checks[0] == "from tiktok, not facebook"
    assert not any(r.blocking for r in readiness if r is not tiktok)
    checks = [composer.items.item(r, 6).text() for r in range(3)]
    assert sum("from tiktok, not facebook" in c for c in checks) == 1
    row = composer.capture_ids().index(tiktok.capture_id)
    flagged = composer.items.item(row, 6)
    assert flagged.foreground().color() == QColor(Qt.GlobalColor.darkRed)
    assert flagged.font().bold() and "one platform" in flagged.toolTip()
    assert composer.items.item(row, 1).text() == "TikTok"
    assert composer.items.item(row, 4).text() == "Human Exploitation"

    # The contact's keys are not verified: sealing asks first; No does nothing.
    qtbot.mouseClick(composer.seal_button, Qt.MouseButton.LeftButton)
    answer_unverified(qtbot, composer, QMessageBox.StandardButton.No)
    assert not w.session.tasks.busy and composer.pack is None
    # Yes: a mixed pack fails with the core's sentence, in a box, and nothing is sealed.
    qtbot.mouseClick(composer.seal_button, Qt.MouseButton.LeftButton)
    answer_unverified(qtbot, composer, QMessageBox.StandardButton.Yes)
    wait_idle(qtbot, w)
    assert "a pack goes to one platform" in composer.status.text()
    assert composer.pack is None
    for top in QApplication.topLevelWidgets():
        if isinstance(top, QMessageBox) and top.isVisible():
            top.close()

    tiktok_row = next(r for r in range(3) if "tiktok" in composer.items.item(r, 6).text())
    composer.items.selectRow(tiktok_row)
    with qtbot.waitSignal(composer.checked, timeout=10_000) as rechecked:
        qtbot.mouseClick(composer.findChild(type(composer.seal_button), "removeItems"),
                         Qt.MouseButton.LeftButton)
    assert sorted(composer.capture_ids()) == ids
    assert sorted(r.capture_id for r in rechecked.args[0]) == ids
    assert not any(r.blocking for r in rechecked.args[0])
    composer.priority_box.setCurrentIndex(composer.priority_box.findData("urgent"))

    with qtbot.waitSignal(composer.previewed, timeout=20_000) as previewed:
        qtbot.mouseClick(composer.preview_button, Qt.MouseButton.LeftButton)
    preview = previewed.args[0]
    text = preview.browser.toPlainText()
    assert "Alert pack PREVIEW" in text and "URGENT" in text and "Human Exploitation" in text
    preview.close()
    assert not [p for p in w.reader.packs.all()]  # a preview writes nothing

    with qtbot.waitSignal(composer.sealed, timeout=60_000) as sealed:
        qtbot.mouseClick(composer.seal_button, Qt.MouseButton.LeftButton)
        answer_unverified(qtbot, composer, QMessageBox.StandardButton.Yes)
    pack = sealed.args[0]
    assert pack.state == "sealed" and pack.priority == "urgent"
    assert pack.ref in composer.status.text() and composer.export_button.isEnabled()
    assert not composer.seal_button.isEnabled()  # a composer seals once

    usb = tmp_path / "usb"
    usb.mkdir()
    with qtbot.waitSignal(composer.sent, timeout=30_000) as sent:
        composer.export_to(str(usb))
    assert sent.args[0].status == "sent"
    exported = usb / f"{pack.ref}.alertpack.age"
    assert exported.is_file()
    trust = tmp_path / "agency.pub"
    trust.write_text(w.reader.keys.export_public_key())
    report = open_pack(exported, key_file, trust, tmp_path / "opened")
    assert report.valid, report
    opened = {p.name for p in (tmp_path / "opened").rglob("*") if p.is_file()}
    assert {"manifest.json", "report.html", "SHA256SUMS", "SHA256SUMS.minisig"} <= opened

    # The outbox shows it as sent; the platform's answer updates items and figures.
    outbox = w.show_outbox()
    qtbot.waitUntil(lambda: outbox.packs.rowCount() == 1)
    assert outbox.packs.item(0, 0).text() == pack.ref
    assert outbox.packs.item(0, 3).text() == "sent"
    assert outbox.items.rowCount() == 2
    answer = tmp_path / "outcomes.csv"
    with answer.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["pack_ref", "capture_id", "outcome", "time", "comment"])
        out.writerow([pack.ref, ids[0], "removed", "2026-12-01T20:00:00Z", "account disabled"])
        out.writerow([pack.ref, ids[1], "no_violation", "2026-12-01T21:00:00Z", ""])
    # encrypted to the agency's reply key the pack names, as its README tells the platform
    reply = w.reader.keys.reply_recipient(create=False)
    assert reply is not None
    encrypted = tmp_path / "outcomes.csv.age"
    encrypted.write_bytes(pyrage.encrypt(answer.read_bytes(),
                                         [pyrage.x25519.Recipient.from_str(reply)]))
    outbox.import_outcomes(str(encrypted))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: "Imported 2 outcome(s)" in outbox.status.text(), timeout=5_000)
    outcomes = {outbox.items.item(r, 0).text(): outbox.items.item(r, 1).text()
                for r in range(outbox.items.rowCount())}
    assert outcomes == {f"#{ids[0]}": "removed", f"#{ids[1]}": "no violation"}
    assert "1 removed, 1 no violation" in outbox.packs.item(0, 6).text()
    assert outbox.stats.rowCount() == 1
    assert outbox.stats.item(0, 0).text() == "Facebook"
    assert outbox.stats.item(0, 9).text() == "50%"
    assert outbox.chart.stats[0].removal_rate == pytest.approx(0.5)
    assert "Facebook: 50%" in outbox.chart.accessibleDescription()

    # "Not yet sent" now counts only the TikTok capture.
    w.show_filter(CaptureFilter("unsent"))
    assert sorted(c.id for c in w.model.captures()
                  if w.proxy.allowed is None or c.id in w.proxy.allowed) == sorted(
        set(c.id for c in w.model.captures()) - set(ids))
    audit = [e.action for e in w.reader.audit_entries()]
    for action in ("key.create", "contact.add", "pack.create", "pack.seal", "pack.send",
                   "pack.outcomes"):
        assert action in audit


def test_email_while_offline_stays_queued(
        qtbot: QtBot, ready: tuple[MainWindow, Path, str, list[int]], tmp_path: Path) -> None:
    w, _key, _recipient, ids = ready
    for key, value in (("smtp_host", "127.0.0.1"), ("smtp_port", str(free_port())),
                       ("smtp_security", "starttls"), ("smtp_from", "alerts@nca.example")):
        w.ops.set_setting(key, value)
    wait_idle(qtbot, w)
    w.views.select(ids[0])
    composer = w.new_pack()
    assert composer.capture_ids() == [ids[0]]
    with qtbot.waitSignal(composer.sealed, timeout=60_000):
        composer.seal(unverified_ok=True)
    with qtbot.waitSignal(composer.sent, timeout=60_000) as sent:
        composer.queue_email()
    result = sent.args[0]
    assert result.status == "queued" and "connection refused" in result.message
    assert "queued" in composer.status.text()
    outbox = w.show_outbox()
    assert outbox.packs.item(0, 3).text() == "queued"
    assert "connection refused" in outbox.packs.item(0, 10).text()
    outbox.retry_queued()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: "queued" in outbox.status.text(), timeout=10_000)
    assert w.reader.packs.get(result.ref).attempts == 2
    assert w.reader.packs.get(result.ref).state == "queued"  # never lost, never marked sent

    # A platform's answer naming a pack we never sent is refused as a whole, in a box.
    answer = tmp_path / "bad-outcomes.csv"
    answer.write_text("pack_ref,capture_id,outcome,time,comment\n"
                      f"NCA-AP-1999-000999,{ids[0]},removed,2026-12-01T20:00:00Z,\n"
                      f"{result.ref},{ids[0]},removed,2026-12-01T20:00:00Z,\n")
    outbox.import_outcomes(str(answer))
    wait_idle(qtbot, w)
    shown = [top.text() for top in QApplication.topLevelWidgets()
             if isinstance(top, QMessageBox) and top.isVisible()]
    assert any("NCA-AP-1999-000999" in text for text in shown), shown
    assert "Importing outcomes:" in outbox.status.text()
    assert [i.outcome for i in w.reader.packs.get(result.ref).items] == ["pending"]


def test_cancelled_seal_and_closed_passphrase_dialog(
        qtbot: QtBot, ready: tuple[MainWindow, Path, str, list[int]]) -> None:
    w, _key, _recipient, ids = ready
    w.views.select(ids[1])
    composer = w.new_pack()
    gate = threading.Event()
    w.ops.run("Busy", lambda _ws, _t: gate.wait(30), cancellable=True)  # the writer is busy
    task = composer.seal(unverified_ok=True)
    assert task is not None and composer.cancel_button.isVisible()
    qtbot.mouseClick(composer.cancel_button, Qt.MouseButton.LeftButton)
    gate.set()
    wait_idle(qtbot, w)
    assert task.state == "cancelled"
    assert "cancelled" in composer.status.text() and composer.pack is None
    assert composer.seal_button.isEnabled() and not composer.cancel_button.isVisible()
    assert w.reader.packs.all() == []  # nothing sealed, nothing sent
    # A cancelled passphrase prompt fails the task with a sentence, not a traceback.
    failures: list[tuple[str, str]] = []
    w.ops.failed.connect(lambda title, message: failures.append((title, message)))
    w.ops.run("Rotate", lambda ws, _t: (ws.keys.secret_store.forget_passphrase(), ws.keys.rotate()))
    qtbot.waitUntil(lambda: w.passphrases.dialog is not None, timeout=10_000)
    w.passphrases.dialog.reject()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: bool(failures), timeout=5_000)
    assert len([k for k in w.reader.keys.all() if k.kind == "signing"]) == 1
    assert failures[-1] == ("Rotate", "No passphrase was given; nothing was changed.")
