"""Trusted timestamps in the window: Workspace → Send timestamps… (Ctrl+Shift+T) queues
the audit head and sends it to a real TSA on loopback (progress and Cancel through the
task manager); the Timestamps window lists the tokens and verifies one; the viewer's
details and the outbox show the trusted time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.conftest import require_tool
from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.imagegen import make_image
from tests.tsa import PKI, LoopbackTSA, free_url, make_pki
from ui.main.mainwindow import MainWindow
from ui.timestamps.window import TimestampsWindow
from workstation.timestamps.models import VerifyResult

pytestmark = GUI_MARKS


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    require_tool("openssl")
    return make_pki(tmp_path_factory.mktemp("tsa"))


@pytest.fixture
def tsa(pki: PKI) -> Iterator[LoopbackTSA]:
    with LoopbackTSA(pki) as server:
        yield server


def add_tsa(qtbot: QtBot, w: MainWindow, url: str, ca: Path) -> None:
    w.ops.run("setup", lambda ws, _t: ws.timestamps.add_authority(url, ca.read_text()))
    wait_idle(qtbot, w)


def result_box(qtbot: QtBot, w: MainWindow) -> QMessageBox:
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "timestampsResult") is not None,
                    timeout=10_000)
    box = w.findChild(QMessageBox, "timestampsResult")
    assert isinstance(box, QMessageBox)
    return box


def test_send_action_window_and_verify(qtbot: QtBot, window: MainWindow, pki: PKI,
                                      tsa: LoopbackTSA) -> None:
    w = window
    assert w.acts.send_timestamps.shortcut() == QKeySequence("Ctrl+Shift+T")
    w.ops.import_bytes(make_image(seed=5))
    wait_idle(qtbot, w)
    # offline first: the request stays queued with its error
    add_tsa(qtbot, w, free_url(), pki.ca_pem)
    qtbot.keyClick(w, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, w)
    box = result_box(qtbot, w)
    assert "still queued" in box.text() and "connection refused" in box.text()
    box.close()
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "timestampsResult") is None)
    viewer = w.open_capture(1)
    assert viewer.details.value("Trusted time") == "not yet timestamped"

    add_tsa(qtbot, w, tsa.url, pki.ca_pem)
    w.acts.timestamps.trigger()
    stamps = w.findChild(TimestampsWindow)
    assert isinstance(stamps, TimestampsWindow) and stamps.isVisible()
    assert stamps.table.rowCount() == 1
    assert stamps.table.item(0, 3).text() == "queued"
    assert "connection refused" in stamps.table.item(0, 7).text()
    assert not stamps.verify_button.isEnabled()
    qtbot.mouseClick(stamps.send_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: stamps.table.rowCount() >= 1
                    and stamps.table.item(0, 3).text() == "stamped", timeout=10_000)
    assert stamps.table.item(0, 5).text() == tsa.url
    assert stamps.table.item(0, 6).text() == "rfc3161-client"
    result_box(qtbot, stamps).close()
    stamps.table.selectRow(0)
    assert stamps.verify_button.isEnabled()
    with qtbot.waitSignal(stamps.verified, timeout=30_000) as signal:
        qtbot.mouseClick(stamps.verify_button, Qt.MouseButton.LeftButton)
    result = signal.args[0]
    assert isinstance(result, VerifyResult) and result.ok
    assert "verifies" in stamps.status.text()

    viewer.refresh()
    trusted = viewer.details.value("Trusted time") or ""
    record = w.session.reader.timestamps.for_capture(1)
    assert record is not None and trusted.startswith(f"{record.gen_time} by {tsa.url}")
    for top in QApplication.topLevelWidgets():
        if isinstance(top, QMessageBox):
            top.close()


def test_send_without_a_tsa_says_how_to_add_one(qtbot: QtBot, window: MainWindow) -> None:
    window.acts.send_timestamps.trigger()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorBox") is not None,
                    timeout=10_000)
    box = window.findChild(QMessageBox, "errorBox")
    assert isinstance(box, QMessageBox) and "Workspace → Timestamps… (Ctrl+T) → Add TSA…" in \
        box.text() and "`workstation" not in box.text()
    box.close()
    # the request was queued offline all the same
    assert [r.state for r in window.session.reader.timestamps.all()] == ["queued"]


def test_outbox_column_text() -> None:
    """The outbox's Timestamped column: the pack's token, "queued", or nothing."""
    from ui.packs.outbox import PACK_COLUMNS
    from ui.timestamps.window import pack_trusted_text
    from workstation.timestamps.models import TimestampRecord

    assert PACK_COLUMNS[-1] == "Timestamped"
    queued = TimestampRecord(1, "pack", "pack:1", "0" * 64, b"", 1, "t", "a", "queued", None,
                             None, None, None, None)
    stamped = TimestampRecord(2, "pack", "pack:1", "0" * 64, b"", 1, "t", "a", "stamped",
                              "http://tsa.example", b"x", "2026-12-05T13:00:00.000Z", "t",
                              None, "openssl")
    assert pack_trusted_text([]) == ""
    assert pack_trusted_text([queued]) == "queued"
    assert pack_trusted_text([queued, stamped]).startswith(
        "2026-12-05T13:00:00.000Z by http://tsa.example")
