"""Case exchange in the window (docs/case-exchange.md): Workspace → Colleagues… (add one
by the keyboard, a refusal shown in the form, remove with Delete), Case → Export…
(the bundle written, its summary shown; no colleague yet: the offer; Cancel during the
export leaves no file and no audit entry), and File → Import
case… in a second analyst's window (the summary, the gallery showing the captures; an
already imported bundle changes nothing; a tampered bundle is refused and changes
nothing; Cancel during the import changes nothing).

Two real workspaces with real agency keys (the file secret store, its passphrase
answered in the app's own dialog) that know each other as colleagues are made with the
core before their windows open; no test waits on time: each waits on a condition, and
the cancelled export and import are held at a known point by the test until Cancel was
pressed.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

import workstation.exchange.bundle as bundle_module
import workstation.exchange.merge as merge_module
from tests.gui.guiutil import GUI_MARKS, PASSPHRASE, answer_next_passphrase, wait_idle
from tests.gui.test_window import write_images
from ui.cases.caseimport import ImportCaseDialog
from ui.cases.exchange import ExportCaseDialog
from ui.common.a11y import unnamed_controls
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.contacts.colleaguedialog import AddColleagueDialog
from ui.contacts.colleagues import ColleaguesWindow
from ui.contacts.contactdialogs import spoken
from ui.gallery.sidebar import CaptureFilter
from ui.main.mainwindow import MainWindow
from workstation.crypto import signing
from workstation.exchange.service import default_name
from workstation.models import CaptureMeta
from workstation.progress import ProgressCallback
from workstation.workspace import Workspace

pytestmark = GUI_MARKS

PASS_ENV = "WS_TEST_GUI_EXCHANGE_PASSPHRASE"
CASE = "Op Tide"
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
WAIT = 60_000


@dataclass
class Pair:
    """Alice's workspace (two captures in ``CASE``, and an empty case) and Bob's, each
    the other's colleague; the bundle Alice gave Bob, written by the core."""

    alice: Path
    bob: Path
    bob_at_alice: int
    bundle: Path


def _open(path: Path, analyst: str) -> Workspace:
    ws = Workspace.open(path)
    ws.keys.use_secrets(passphrase_env=PASS_ENV)
    ws.set_setting("analyst", analyst)
    ws.keys.init()
    return ws


def _environment(mp: pytest.MonkeyPatch) -> None:
    mp.setenv(PASS_ENV, PASSPHRASE)  # the passphrase the windows are given
    mp.setenv("WORKSTATION_SECRET_BACKEND", "file")
    mp.delenv("WORKSTATION_ANALYST", raising=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """The two workspaces, made once (each key costs seconds of scrypt): the tests
    work on copies of them."""
    root = tmp_path_factory.mktemp("exchange")
    bundle = root / "given" / default_name(CASE)
    bundle.parent.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        _environment(mp)
        with closing(_open(root / "alice", "Alice Brown")) as alice, \
                closing(_open(root / "bob", "Bob Green")) as bob:
            bob_at_alice = alice.colleagues.add("Bob Green", bob.keys.archive_recipient(),
                                                bob.keys.export_public_key()).id
            bob.colleagues.add("Alice Brown", alice.keys.archive_recipient(),
                               alice.keys.export_public_key())
            shots = write_images(root / "shots", 2)
            meta = CaptureMeta(case=CASE, notes="seen on a public group", tags=("boat",),
                               source_url="https://www.facebook.com/groups/crossings/posts/1")
            assert all(r.id for r in alice.intake.import_paths(shots, meta))
            alice.cases.create("Op Other")
            alice.exchange.export_case(CASE, bundle, [bob_at_alice])
    return Pair(root / "alice", root / "bob", bob_at_alice, bundle)


@pytest.fixture
def pair(made: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pair:
    """Fresh copies of the two workspaces and the bundle, for one test."""
    _environment(monkeypatch)
    for folder in (made.alice, made.bob):
        shutil.copytree(folder, tmp_path / folder.name)
    bundle = tmp_path / "given" / made.bundle.name
    bundle.parent.mkdir()
    shutil.copyfile(made.bundle, bundle)
    return Pair(tmp_path / "alice", tmp_path / "bob", made.bob_at_alice, bundle)


@pytest.fixture
def ws_path(pair: Pair) -> Path:
    """The suite's ``window`` is Alice's."""
    return pair.alice


def _close_windows_of(w: MainWindow) -> None:
    for top in QApplication.topLevelWidgets():
        parent = top.parentWidget()
        while parent is not None and parent is not w:
            parent = parent.parentWidget()
        if parent is w and top.isVisible():
            top.close()


@pytest.fixture
def bob_window(qtbot: QtBot, pair: Pair, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")
    session = Session.open(pair.bob)
    prefs = Preferences.at(str(tmp_path / "bob.ini"))
    prefs.auto_ocr = False
    prefs.ask_details = False
    w = MainWindow(session, prefs)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.passphrases.close()
    wait_idle(qtbot, w)
    _close_windows_of(w)
    w.close()
    session.close()
    w.deleteLater()


# ---------------------------------------------------------------------- helpers
def _activate(qtbot: QtBot, top: QWidget) -> None:
    top.activateWindow()
    qtbot.waitUntil(top.isActiveWindow, timeout=10_000)


def _press(qtbot: QtBot, key: Qt.Key,
           modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press on the focused widget (as the analyst's keyboard does)."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifier)


def _typed(qtbot: QtBot, text: str) -> None:
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClicks(focused, text)


def _shown(qtbot: QtBot, parent: QWidget, kind: type, name: str = "") -> Any:
    found: list[Any] = []

    def visible() -> bool:
        children: list[Any] = list(parent.findChildren(kind))
        found[:] = [d for d in children if d.isVisible()
                    and (not name or d.objectName() == name)]
        return bool(found)

    qtbot.waitUntil(visible, timeout=10_000)
    return found[-1]


def _import(qtbot: QtBot, w: MainWindow, monkeypatch: pytest.MonkeyPatch,
            path: Path) -> ImportCaseDialog:
    """File → Import case… (Ctrl+I) on ``path``, chosen in the file dialog."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    _activate(qtbot, w)
    qtbot.keyClick(w.views.gallery, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog: ImportCaseDialog = _shown(qtbot, w, ImportCaseDialog)
    return dialog


def _nothing_imported(w: MainWindow) -> None:
    reader = w.reader
    assert reader.captures.all() == [] and reader.cases.all() == []
    assert reader.exchange.imports() == []


def _new_colleague_keys() -> tuple[str, str]:
    """An age recipient and a minisign .pub text of a third analyst."""
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    return recipient, signing.generate_key().public_key().minisign_text("Carol's key")


# ------------------------------------------------------------------- colleagues
def test_a_colleague_is_added_by_the_keyboard_and_removed_with_delete(
        qtbot: QtBot, window: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    _activate(qtbot, w)
    qtbot.keyClick(w.views.gallery, Qt.Key.Key_L, CTRL_SHIFT)  # Workspace → Colleagues…
    colleagues = _shown(qtbot, w, ColleaguesWindow)
    _activate(qtbot, colleagues)
    assert [c.name for c in colleagues.colleagues()] == ["Bob Green"]
    own = w.reader.keys.archive_recipient()
    assert colleagues.recipient.text() == own  # to give a colleague
    signing_key = next(k for k in w.reader.keys.all() if k.kind == "signing")
    assert signing_key.key_id in colleagues.minisign.text()
    assert unnamed_controls(colleagues) == []

    recipient, pub_text = _new_colleague_keys()
    pub = tmp_path / "carol.pub"
    pub.write_text(pub_text)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(pub), ""))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is colleagues.table, timeout=10_000)
    _press(qtbot, Qt.Key.Key_A, ALT)  # Add colleague…
    dialog = _shown(qtbot, colleagues, AddColleagueDialog)
    assert unnamed_controls(dialog) == []
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name, timeout=10_000)
    _typed(qtbot, "Carol Smith")
    _press(qtbot, Qt.Key.Key_Tab)
    _typed(qtbot, "age1notakey")
    _press(qtbot, Qt.Key.Key_B, ALT)  # Browse… for the .pub file (a mnemonic clicks soon)
    qtbot.waitUntil(lambda: dialog.minisign_file.text() == str(pub), timeout=10_000)
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.problem.isVisible, timeout=WAIT)
    problem = dialog.problem.text()
    assert "recipient" in problem and "\n" not in problem and "Traceback" not in problem
    assert dialog.isVisible() and dialog.name.text() == "Carol Smith"  # nothing lost
    assert dialog.minisign_file.text() == str(pub)

    _press(qtbot, Qt.Key.Key_R, ALT)  # back to the recipient
    assert QApplication.focusWidget() is dialog.recipient
    _press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _typed(qtbot, recipient)
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: len(colleagues.colleagues()) == 2, timeout=WAIT)
    carol = next(c for c in w.reader.colleagues.all() if c.name == "Carol Smith")
    assert carol.recipient == recipient
    assert colleagues.selected() == carol and "Added Carol Smith" in colleagues.status.text()
    assert spoken(carol.fingerprint) in colleagues.chosen.text()
    row = [colleagues.table.item(1, c).text() for c in range(colleagues.table.columnCount())]
    assert row[:4] == ["Carol Smith", spoken(carol.fingerprint), carol.minisign_id,
                       spoken(carol.minisign_fingerprint)]

    _activate(qtbot, colleagues)  # back from the dialog, on the new colleague's row
    qtbot.waitUntil(lambda: QApplication.focusWidget() is colleagues.table, timeout=10_000)
    _press(qtbot, Qt.Key.Key_Delete)
    box = _shown(qtbot, colleagues, QMessageBox, "removeColleagueBox")
    assert "Carol Smith" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [c.name for c in colleagues.colleagues()] == ["Bob Green"],
                    timeout=WAIT)
    assert w.reader.colleagues.get(carol.id).removed

    colleagues.table.selectRow(0)  # Bob too: then there is no one to give a case to
    _activate(qtbot, colleagues)
    colleagues.table.setFocus()
    _press(qtbot, Qt.Key.Key_Delete)
    box = _shown(qtbot, colleagues, QMessageBox, "removeColleagueBox")
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: colleagues.colleagues() == [], timeout=WAIT)
    colleagues.close()
    w.acts.export_case.trigger()
    offer = _shown(qtbot, w, QMessageBox, "noColleaguesBox")
    assert "no colleagues" in offer.text()
    button = offer.findChild(QPushButton, "openColleagues")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(colleagues.isVisible, timeout=10_000)


# ----------------------------------------------------------------------- export
def test_a_case_is_exported_through_the_case_menu(
        qtbot: QtBot, window: MainWindow, pair: Pair, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    tide = next(c for c in w.reader.cases.all() if c.name == CASE)
    w.show_filter(CaptureFilter("case", str(tide.id)))  # the window is on Op Tide
    _activate(qtbot, w)
    qtbot.keyClick(w.views.gallery, Qt.Key.Key_X, CTRL_SHIFT)  # Case → Export…
    dialog = _shown(qtbot, w, ExportCaseDialog)
    assert dialog.case() == CASE
    assert dialog.chosen_ids() == [pair.bob_at_alice]  # the only colleague, ticked
    assert dialog.path_edit.text().endswith(default_name(CASE))
    assert unnamed_controls(dialog) == []

    out = tmp_path / "out" / "tide.casebundle.age"
    out.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    _activate(qtbot, dialog)
    _press(qtbot, Qt.Key.Key_B, ALT)  # Browse… (a mnemonic clicks a moment later)
    qtbot.waitUntil(lambda: dialog.path_edit.text() == str(out), timeout=10_000)
    _press(qtbot, Qt.Key.Key_E, ALT)  # Export
    answer_next_passphrase(qtbot, w)  # the signing key, from the file secret store
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=WAIT)
    wait_idle(qtbot, w)
    result = dialog.written
    assert out.is_file() and result.path == str(out)
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result.sha256 == sha and result.captures == 2 and result.size == out.stat().st_size
    summary = dialog.summary.toPlainText()
    assert dialog.summary.isVisible() and str(out) in summary and sha in summary
    assert f"{out.stat().st_size:,} bytes" in summary or f"{out.stat().st_size} bytes" in summary
    bob = w.reader.colleagues.get(pair.bob_at_alice)
    assert "Bob Green" in summary and spoken(bob.fingerprint) in summary
    assert "archive key" in summary  # and this workspace's own, to open it too
    assert "written" in dialog.status.text()

    with closing(Workspace.open(pair.bob)) as bob_ws:  # Bob takes it in: the file is whole
        bob_ws.keys.use_secrets(passphrase_env=PASS_ENV)
        merged = bob_ws.exchange.import_case(out)
        assert merged.case == CASE and len(merged.added) == 2 and merged.colleague == "Alice Brown"


def test_cancel_during_the_export_leaves_no_bundle(
        qtbot: QtBot, window: MainWindow, pair: Pair, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The export is held at the first original it writes until the analyst pressed
    Cancel (the writer waits on an event the test sets), so the cancel lands in the
    middle of the bundle, every time; then the same export runs through."""
    w = window
    reached, resume = threading.Event(), threading.Event()
    real_report = bundle_module.report

    def held(progress: ProgressCallback | None, done: int, total: int,
             message: str = "") -> None:
        real_report(progress, done, total, message)
        if message.startswith("evidence/") and not reached.is_set():
            reached.set()
            resume.wait(WAIT / 1000)

    monkeypatch.setattr(bundle_module, "report", held)
    out = tmp_path / "out" / "tide.casebundle.age"
    out.parent.mkdir()
    _activate(qtbot, w)
    w.acts.export_case.trigger()  # Case → Export…
    dialog = _shown(qtbot, w, ExportCaseDialog)
    dialog.case_box.setCurrentIndex(dialog.case_box.findData(CASE))
    dialog.path_edit.setText(str(out))
    assert dialog.chosen_ids() == [pair.bob_at_alice]
    wait_idle(qtbot, w)
    audit_before = w.reader.audit.count()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    try:
        answer_next_passphrase(qtbot, w)  # the signing key, from the file secret store
        qtbot.waitUntil(reached.is_set, timeout=WAIT)
        task = dialog.progress.task
        assert task is not None and task.state == "running"
        assert dialog.progress.isVisible() and dialog.progress.cancel_button.isEnabled()
        qtbot.mouseClick(dialog.progress.cancel_button, Qt.MouseButton.LeftButton)
        assert task.cancelled and not dialog.progress.cancel_button.isEnabled()
    finally:
        resume.set()
    qtbot.waitUntil(lambda: dialog.progress.task is None, timeout=WAIT)
    wait_idle(qtbot, w)
    assert task.state == "cancelled" and task.result is None
    assert dialog.written is None and not dialog.summary.isVisible()
    assert dialog.status.text() == "Cancelled: no bundle was written."
    assert not dialog.progress.isVisible() and dialog.export_button.isEnabled()
    assert not out.exists() and list(out.parent.glob(f".{out.name}.*.tmp")) == []
    assert list(out.parent.iterdir()) == []  # nothing at all beside it
    assert w.reader.audit.count() == audit_before  # no export recorded

    monkeypatch.setattr(bundle_module, "report", real_report)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)  # and again, whole
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=WAIT)
    wait_idle(qtbot, w)
    result = dialog.written
    assert result is not None and result.path == str(out) and result.captures == 2
    assert out.is_file() and result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert list(out.parent.iterdir()) == [out] and dialog.summary.isVisible()
    added = w.reader.audit.entries(after=audit_before)
    assert [e.action for e in added] == ["case.export"]
    assert added[0].details["sha256"] == result.sha256


# ----------------------------------------------------------------------- import
def test_a_case_is_imported_into_the_other_window(
        qtbot: QtBot, bob_window: MainWindow, pair: Pair,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = bob_window
    assert w.model.captures() == []
    dialog = _import(qtbot, w, monkeypatch, pair.bundle)
    answer_next_passphrase(qtbot, w)  # the archive identity, to decrypt it
    qtbot.waitUntil(lambda: dialog.outcome == "imported", timeout=WAIT)
    wait_idle(qtbot, w)
    summary = dialog.summary
    assert summary is not None and len(summary.added) == 2 and summary.case_created
    headline, details = dialog.headline.text(), dialog.details.toPlainText()
    assert f"Imported case {CASE!r} (a new case here) from Alice Brown" in headline
    ids = sorted(summary.added)
    assert f"Captures added:        2 (#{ids[0]}, #{ids[1]})" in details
    assert "Already here:          0" in details and "Nothing was overwritten." in details
    assert unnamed_controls(dialog) == []

    qtbot.waitUntil(lambda: w.proxy.rowCount() == 2, timeout=WAIT)  # the gallery shows them
    assert sorted(c.id for c in w.model.captures()) == ids
    assert {c.case for c in w.model.captures()} == {CASE}
    qtbot.waitUntil(lambda: any(CASE in entry for entry in w.sidebar.entries()),
                    timeout=WAIT)

    dialog.close()
    again = _import(qtbot, w, monkeypatch, pair.bundle)  # the same bundle twice
    qtbot.waitUntil(lambda: again.outcome == "already", timeout=WAIT)
    assert "already imported" in again.headline.text()
    assert "nothing changed" in again.headline.text()
    assert len(w.reader.captures.all()) == 2 and len(w.reader.exchange.imports()) == 1


def test_a_tampered_bundle_is_refused_and_nothing_changes(
        qtbot: QtBot, bob_window: MainWindow, pair: Pair, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = bob_window
    data = bytearray(pair.bundle.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, inside the encrypted payload
    tampered = tmp_path / "tampered.casebundle.age"
    tampered.write_bytes(bytes(data))
    dialog = _import(qtbot, w, monkeypatch, tampered)
    answer_next_passphrase(qtbot, w)
    qtbot.waitUntil(lambda: dialog.outcome == "refused", timeout=WAIT)
    wait_idle(qtbot, w)
    text = dialog.headline.text()
    assert text.startswith("The case bundle was refused") and "Traceback" not in text
    assert text.lower().count("nothing was changed") == 1 and "\n" not in text
    assert dialog.windowTitle() == "Case not imported" and not dialog.details.isVisible()
    _nothing_imported(w)
    assert w.model.captures() == []


def test_cancel_during_the_import_changes_nothing(
        qtbot: QtBot, bob_window: MainWindow, pair: Pair,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The import is held at the first original it takes in until the analyst pressed
    Cancel (the writer waits on an event the test sets), so the cancel lands in the
    middle of the merge, every time."""
    w = bob_window
    reached, resume = threading.Event(), threading.Event()
    real_report = merge_module.report

    def held(progress: ProgressCallback | None, done: int, total: int,
             message: str = "") -> None:
        real_report(progress, done, total, message)
        if message.startswith("evidence/") and not reached.is_set():
            reached.set()
            resume.wait(WAIT / 1000)

    monkeypatch.setattr(merge_module, "report", held)
    dialog = _import(qtbot, w, monkeypatch, pair.bundle)
    answer_next_passphrase(qtbot, w)
    try:
        qtbot.waitUntil(reached.is_set, timeout=WAIT)
        assert dialog.progress.isVisible() and dialog.progress.cancel_button.isEnabled()
        qtbot.mouseClick(dialog.progress.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.task is not None and dialog.progress.task.cancelled
    finally:
        resume.set()
    qtbot.waitUntil(lambda: dialog.outcome == "cancelled", timeout=WAIT)
    wait_idle(qtbot, w)
    assert "nothing was changed" in dialog.headline.text()
    assert dialog.summary is None and not dialog.progress.isVisible()
    _nothing_imported(w)

    monkeypatch.setattr(merge_module, "report", real_report)
    dialog.close()
    again = _import(qtbot, w, monkeypatch, pair.bundle)  # and it can be taken in after
    qtbot.waitUntil(lambda: again.outcome == "imported", timeout=WAIT)
    assert again.summary is not None and len(again.summary.added) == 2
