""""Copy for web form" in the outbox: a sealed pack's items, one tab-separated row each
under a header row, on the real clipboard -- the rows of the pack's ``portal.csv``."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.core.packs import support as support
from tests.core.packs.support import PASS_ENV, PASSPHRASE, Template, copy_ws, open_ws
from tests.gui.guiutil import GUI_MARKS
from ui.main.mainwindow import MainWindow
from workstation.crypto.age import decrypt_file
from workstation.packs.format.portal import PORTAL_FIELDS

pytestmark = GUI_MARKS
template = support.template  # fixture


@pytest.fixture
def ws_path(template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with one sealed pack (captures A and B to TikTok), its copy in
    ``tmp_path / "pack.alertpack.age"``."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    with open_ws(ws_dir) as ws:
        ws.packs.build(template.tiktok_age, template.captures[:2], priority="urgent",
                       output=tmp_path / "pack.alertpack.age")
    return ws_dir


def test_copy_for_web_form_puts_the_packs_rows_on_the_clipboard(
        qtbot: QtBot, window: MainWindow, template: Template, tmp_path: Path) -> None:
    outbox = window.show_outbox()
    qtbot.waitUntil(lambda: outbox.packs.rowCount() == 1)
    outbox.packs.selectRow(0)
    button = outbox.web_form.button
    assert button.isEnabled() and button.text() == "Copy for &web form"
    QApplication.clipboard().clear()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    pasted = QApplication.clipboard().text()
    lines = [line.split("\t") for line in pasted.splitlines()]
    assert tuple(lines[0]) == PORTAL_FIELDS and len(lines) == 3
    rows = [dict(zip(PORTAL_FIELDS, line, strict=True)) for line in lines[1:]]
    assert rows[0]["url"] == "https://www.tiktok.com/@boats_uk/video/7301"
    assert rows[0]["content_id"] == "7301" and rows[0]["account"] == "boats_uk"
    assert rows[1]["url"] == "https://www.tiktok.com/@crossings.now/video/9911"
    assert {r["priority"] for r in rows} == {"urgent"}
    assert {r["requested_action"] for r in rows} == {"remove"}
    assert "Copied 2 item(s)" in outbox.status.text()

    # The same rows as the pack's portal.csv.
    plain = tmp_path / "pack.zip"
    decrypt_file(tmp_path / "pack.alertpack.age", plain, template.age_key)
    with zipfile.ZipFile(plain) as zf:
        sheet = list(csv.reader(io.StringIO(zf.read("portal.csv").decode("utf-8"))))
    assert sheet == lines
