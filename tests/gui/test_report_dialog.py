"""Case → Report…: the dialog writes the signed report on the writer thread with
progress, shows its path, SHA-256 and signature; Cancel leaves nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, answer_next_passphrase, wait_idle
from tests.gui.test_window import sample_png
from tests.issuer import TEST_ISSUER
from ui.main.mainwindow import MainWindow
from ui.report.dialog import ReportDialog, open_report_dialog
from workstation.models import CaptureMeta
from workstation.report.check import check_report

pytestmark = GUI_MARKS


def _case_with_a_capture(qtbot: QtBot, w: MainWindow, tmp_path: Path) -> None:
    w.ops.run("Keys", lambda ws, _t: ws.keys.init())
    answer_next_passphrase(qtbot, w)
    wait_idle(qtbot, w)
    for key, value in TEST_ISSUER.items():
        w.ops.set_setting(key, value)
    shot = tmp_path / "advert.png"
    shot.write_bytes(sample_png("english"))
    w.ops.import_paths([shot], meta=CaptureMeta(
        case="op-gui", source_url="https://www.facebook.com/groups/crossings/posts/1"))
    wait_idle(qtbot, w)


def test_report_dialog_writes_a_signed_report(qtbot: QtBot, window: MainWindow,
                                              tmp_path: Path) -> None:
    w = window
    _case_with_a_capture(qtbot, w, tmp_path)
    open_report_dialog(w, "op-gui")
    dialog = w.report_dialog
    assert isinstance(dialog, ReportDialog) and dialog.isVisible()
    out = tmp_path / "out" / "op-gui.pdf"
    out.parent.mkdir()
    dialog.path_edit.setText(str(out))
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report_result is not None, timeout=60_000)
    wait_idle(qtbot, w)
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert dialog.report_result is not None and dialog.report_result.sha256 == sha
    assert sha in dialog.status.text() and str(out) in dialog.status.text()
    pub = tmp_path / "agency.pub"
    w.ops.run("Export", lambda ws, _t: pub.write_text(ws.keys.export_public_key()))
    wait_idle(qtbot, w)
    assert check_report(out, pub).valid
    assert dialog.write_button.isEnabled() and not dialog.progress.isVisible()


def test_cancelled_report_writes_nothing(qtbot: QtBot, window: MainWindow,
                                         tmp_path: Path) -> None:
    w = window
    _case_with_a_capture(qtbot, w, tmp_path)
    open_report_dialog(w, "op-gui")
    dialog = w.report_dialog
    out = tmp_path / "out"
    out.mkdir()
    dialog.path_edit.setText(str(out / "r.html"))
    dialog.format_box.setCurrentIndex(1)
    assert dialog.path_edit.text().endswith("r.html") and dialog.fmt() == "html"
    w.ops.run("Hold", lambda _ws, _t: None)  # queued ahead, so Cancel lands first
    task = dialog.start()
    assert task is not None
    dialog.cancel()
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: "no report was written" in dialog.status.text().lower(),
                    timeout=10_000)
    assert list(out.iterdir()) == [] and dialog.report_result is None
