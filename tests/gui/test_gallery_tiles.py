"""Gallery tiles that inform, on a real workspace: captures on several platforms, one in a
sent pack whose answer was imported (removed), one flagged, one with an exhibit
reference.  The tiles' text (proper platform names, local time, exhibit, first words
read, flag reasons, pack state) is also their tooltip and what a screen reader gets;
the gallery sorts and groups by date, platform, case and pack state from the View
menu, remembers the choice, follows pack changes, and paints without error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from tests.core.packs.support import (
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    open_ws,
    sealed,  # noqa: F401 (a fixture)
    template,  # noqa: F401 (a fixture)
)
from tests.gui.guiutil import GUI_MARKS, wait_idle
from tests.imagegen import make_image
from ui.gallery.capturemodel import GroupRole, IdRole, TileRole
from ui.gallery.tiles import Tile, local_time, short_time
from ui.main.mainwindow import MainWindow
from workstation.models import CaptureMeta

pytestmark = GUI_MARKS

FLAG_NOTES = "Calais to the UK tonight. UK guaranteed, Calais every week, WhatsApp"


@pytest.fixture
def ws_path(sealed: Sealed, tmp_path: Path,  # noqa: F811
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared sealed pack's workspace (A, B TikTok in the pack, A read; C Facebook),
    with A's exhibit reference, the pack sent and answered (A removed, B pending), and
    D (flagged, no platform), E (YouTube, case "Op Land") and F (WhatsApp) added."""
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b, _c = sealed.template.captures
    ws_dir = tmp_path / "ws"
    shutil.copytree(sealed.ws, ws_dir)
    with open_ws(ws_dir) as ws:
        assert ws.exhibits.assign(a) == "AB/1"
        ws.outbox.send(sealed.ref, via="folder", to=str(tmp_path))
        answer = tmp_path / "answer.csv"
        answer.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                          f"{sealed.ref},{a},removed,,account banned\r\n"
                          f"{sealed.ref},{b},pending,,\r\n")
        ws.outcomes.import_file(answer)
        ws.cases.create("Op Land")
        for seed, meta in ((21, CaptureMeta(notes=FLAG_NOTES)),
                           (22, CaptureMeta(source_url="https://www.youtube.com/@crossings",
                                            case="Op Land")),
                           (23, CaptureMeta(source_url="https://wa.me/447700900123"))):
            assert ws.intake.import_bytes(make_image(seed=seed), meta, method="paste").id
    return ws_dir


def ids_of(w: MainWindow) -> dict[str, int]:
    """The captures by letter: A B C from the template, then D E F."""
    ordered = sorted(c.id for c in w.model.captures())
    return dict(zip("ABCDEF", ordered, strict=True))


def shown_order(w: MainWindow) -> list[int]:
    return [int(w.proxy.index(r, 0).data(IdRole)) for r in range(w.proxy.rowCount())]


def index_of(w: MainWindow, capture_id: int) -> QModelIndex:
    row = w.model.row_of(capture_id)
    assert row is not None
    return w.proxy.mapFromSource(w.model.index(row, 0))


def test_tiles_tell_platform_time_text_flags_exhibit_and_pack_state(
        qtbot: QtBot, window: MainWindow) -> None:
    w = window
    ids = ids_of(w)
    a, b, c, d, e, f = (ids[k] for k in "ABCDEF")
    tiles = {k: w.model.tile_of(v) for k, v in ids.items()}
    assert all(isinstance(t, Tile) for t in tiles.values())
    ta, tb, tc, td, te, tf = (tiles[k] for k in "ABCDEF")
    assert [t.platform_name for t in (ta, tc, td, te, tf)] == [
        "TikTok", "Facebook", "Unknown platform", "YouTube", "WhatsApp"]
    assert [t.mark for t in (ta, tc, te, tf)] == ["TT", "FB", "YT", "WA"]
    capture_a = w.model.capture(a)
    assert capture_a is not None
    when = short_time(local_time(capture_a.captured_at))
    assert ta.lines[:3] == ("TikTok  @boats_uk", f"{when}  ·  AB/1", "رحلة آمنة إلى بريطانيا")
    assert (ta.state_label, tb.state_label, tc.state_label) == (
        "answered: removed", "sent (acknowledged)", "not sent")
    assert tb.words == "not read yet" and not tb.read
    assert "destination" in td.reasons and td.lines[3] == f"Flagged: {td.reasons}"

    # the same words for screen readers and in the tooltip
    index = index_of(w, a)
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith(f"Capture {a}, TikTok, @boats_uk, ")
    assert ", exhibit AB/1, reads: رحلة آمنة إلى بريطانيا, " in spoken
    assert spoken.endswith(", sent, answered: removed")
    assert index.data(Qt.ItemDataRole.AccessibleDescriptionRole) == "; ".join(
        line for line in ta.lines if line)
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(f"Capture #{a} (exhibit AB/1)\nTikTok  @boats_uk\n")
    assert "Pack: answered: removed" in tip and "Reads: رحلة" in tip
    flagged = index_of(w, d).data(Qt.ItemDataRole.AccessibleTextRole)
    assert f"flagged: {td.reasons}, not sent" in flagged and "not read yet" in flagged

    # proper names everywhere: the side panel and the table
    assert {"TikTok (2)", "Facebook (1)", "YouTube (1)", "WhatsApp (1)"} <= set(
        w.sidebar.entries())
    platform_column = [k for k, _h in w.model.COLUMNS].index("platform")
    pack_column = [k for k, _h in w.model.COLUMNS].index("pack")
    row = index_of(w, e).row()
    assert w.proxy.index(row, platform_column).data() == "YouTube"
    assert w.proxy.index(index_of(w, a).row(), pack_column).data() == "answered: removed"

    # "reading…" while OCR reads a capture
    w.model.mark_reading([b])
    assert w.model.tile_of(b).words == "reading…"  # type: ignore[union-attr]
    w.model.mark_reading(None, on=False)
    assert w.model.tile_of(b).words == "not read yet"  # type: ignore[union-attr]
    assert {c, f} <= set(ids.values())


def test_sort_and_group_from_the_view_menu(qtbot: QtBot, window: MainWindow) -> None:
    w = window
    ids = ids_of(w)
    a, b, c, d, e, f = (ids[k] for k in "ABCDEF")
    acts = w.acts
    assert [acts.sort_date.shortcut(), acts.sort_platform.shortcut(), acts.sort_case.shortcut(),
            acts.sort_state.shortcut(), acts.group.shortcut()] == [
        QKeySequence(k) for k in ("Ctrl+3", "Ctrl+4", "Ctrl+5", "Ctrl+6", "Ctrl+G")]
    assert acts.sort_date.isChecked() and not acts.group.isChecked()

    acts.sort_platform.trigger()
    order = shown_order(w)
    assert order[0] == c  # Facebook, TikTok, WhatsApp, YouTube, then no platform
    assert set(order[1:3]) == {a, b} and order[3:] == [f, e, d]
    assert w.prefs.gallery_order == "platform"

    acts.sort_state.trigger()
    order = shown_order(w)
    assert order[-2:] == [b, a]  # not sent first; acknowledged; answered
    assert set(order[:4]) == {c, d, e, f}

    acts.sort_case.trigger()
    order = shown_order(w)
    assert order[0] == e and set(order[1:4]) == {a, b, c} and set(order[4:]) == {d, f}

    # groups: a caption on the first tile of each group, room for it in every cell
    height = w.views.gallery.gridSize().height()
    acts.group.trigger()
    assert w.model.grouped and w.prefs.gallery_grouped
    assert w.views.gallery.gridSize().height() > height
    captions = [w.proxy.index(r, 0).data(GroupRole) for r in range(w.proxy.rowCount())]
    assert captions == ["Op Land", "op-sea", "op-sea", "op-sea", "No case", "No case"]
    acts.sort_platform.trigger()
    captions = [w.proxy.index(r, 0).data(GroupRole) for r in range(w.proxy.rowCount())]
    assert captions[:3] == ["Facebook", "TikTok", "TikTok"] and captions[-1] == (
        "Unknown platform")
    assert isinstance(w.proxy.index(0, 0).data(TileRole), Tile)

    # the delegate paints every kind of tile (blurred thumbnails by default)
    w.resize(1200, 900)
    w.set_view_mode("gallery")
    capture_a = w.model.capture(a)
    assert capture_a is not None
    qtbot.waitUntil(lambda: w.thumbs.pixmap(capture_a, w.wellbeing.treatment(a)) is not None,
                    timeout=20_000)
    assert not w.views.gallery.grab().isNull()
    acts.group.trigger()
    assert not w.model.grouped and not w.prefs.gallery_grouped
    assert not w.views.gallery.grab().isNull()
    acts.sort_date.trigger()
    assert w.prefs.gallery_order == "date"

    # the table: columns sized to their content, within bounds
    w.set_view_mode("table")
    table = w.views.table
    assert not table.grab().isNull()
    platform_column = [k for k, _h in w.model.COLUMNS].index("platform")
    assert table.columnWidth(platform_column) >= table.fontMetrics().horizontalAdvance(
        "WhatsApp")
    assert all(table.columnWidth(col) <= 320 for col in range(w.model.columnCount() - 1))


def test_tiles_follow_pack_changes_and_remember_the_order(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    w = window
    ids = ids_of(w)
    b = ids["B"]
    w.acts.sort_state.trigger()
    ref = w.reader.packs.all()[0].ref
    answer = tmp_path / "late-answer.csv"
    answer.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                      f"{ref},{b},no_violation,,\r\n")
    w.ops.run("Outcomes", lambda ws, _t: ws.outcomes.import_file(answer),
              changed=(w.ops.packsChanged,))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w.model.tile_of(b).state_label  # type: ignore[union-attr]
                    == "answered: no violation", timeout=10_000)
    assert shown_order(w)[-1] == b  # sorted again by state: no violation comes last
    assert "sent, answered: no violation" in index_of(w, b).data(
        Qt.ItemDataRole.AccessibleTextRole)
    assert w.prefs.gallery_order == "state"
