"""The watched folder tries a file again when the import found it still being written
("file changed while being read"), instead of dropping it."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS
from tests.imagegen import make_image
from ui.capture.sources import FolderWatcher

pytestmark = GUI_MARKS


def test_a_file_refused_while_changing_is_reported_again(qtbot: QtBot, tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    watcher = FolderWatcher(settle_ms=3_600_000, poll_ms=3_600_000)  # the test scans
    try:
        watcher.watch(folder)
        reported: list[list[str]] = []
        watcher.newFiles.connect(reported.append)
        path = folder / "new.png"
        path.write_bytes(make_image(seed=1))
        watcher.scan()
        watcher.scan()  # unchanged since the last scan: reported
        watcher.scan()
        assert reported == [[str(path)]]  # once

        watcher.retry([str(path)])  # the import said: changed while being read
        watcher.scan()
        watcher.scan()
        assert reported == [[str(path)], [str(path)]]
    finally:
        watcher.watch(None)
