"""Screen readers: every window the analyst opens is walked as a screen reader sees it
(``QAccessible``'s name, not the widget's property), and every control in it must have a
name: buttons, line edits, combo boxes, lists, tables, trees, check boxes, spin boxes,
text edits, sliders and tab bars.  And contrast: the light and dark themes, and the
colours the UI paints text in itself, meet WCAG 2 (4.5:1, disabled text 3:1)."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, answer_next_passphrase, wait_idle
from tests.gui.test_window import sample_png
from tests.issuer import set_issuer
from ui.audit.auditview import VerifyDialog
from ui.common.a11y import name, spoken_name, unnamed_controls
from ui.common.passphrase import PassphraseDialog
from ui.common.prefs import Preferences
from ui.common.theme import (
    apply_scheme,
    dark_palette,
    light_palette,
    status_colour,
    warning_colour,
)
from ui.contacts.contactdialogs import ContactDialog
from ui.contacts.contactdialogs import VerifyDialog as ContactVerifyDialog
from ui.gallery.tiles import PLATFORM_COLOURS, STATE_COLOURS
from ui.main.mainwindow import MainWindow
from ui.packs.issuer import IssuerDialog
from ui.report.dialog import open_report_dialog
from ui.setup.wizard import show_first_start
from ui.timestamps.window import open_timestamps
from workstation.crypto.secretstore import PassphraseRequest
from workstation.models import CaptureMeta

pytestmark = GUI_MARKS


def _workspace_with_a_case(qtbot: QtBot, w: MainWindow, tmp_path: Path) -> int:
    w.ops.run("Keys", lambda ws, _t: (set_issuer(ws), ws.keys.init()),
              changed=(w.ops.contactsChanged,))
    answer_next_passphrase(qtbot, w)
    wait_idle(qtbot, w)
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    w.ops.run("Contact", lambda ws, _t: ws.contacts.add(
        "facebook", "Trust and Safety", "ts@facebook.example", [recipient]),
        changed=(w.ops.contactsChanged,))
    shot = tmp_path / "advert.png"
    shot.write_bytes(sample_png("english"))
    w.ops.import_paths([shot], meta=CaptureMeta(
        case="op-a11y", platform="facebook",
        source_url="https://www.facebook.com/groups/crossings/posts/1"))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: len(w.model.captures()) == 1, timeout=10_000)
    return w.model.captures()[0].id


def _open_every_window(qtbot: QtBot, w: MainWindow, capture_id: int) -> list[QWidget]:
    """Open every window and dialog of the application; returns them."""
    w.views.current_view().selectAll()
    viewer = w.open_capture(capture_id)
    qtbot.waitUntil(lambda: viewer.capture is not None, timeout=10_000)
    editor = viewer.redaction.open_editor()
    composer = w.new_pack()
    qtbot.waitUntil(lambda: composer.readiness() is not None, timeout=10_000)
    case_view = w.acts.cases.show_case_view("op-a11y")
    open_report_dialog(w, "op-a11y")
    windows: list[QWidget] = [w, viewer, composer, w.show_outbox(), w.show_contacts(),
                              w.show_settings(), case_view, w.report_dialog,
                              open_timestamps(w.session, w.ops, w), w.show_audit()]
    if editor is not None:
        windows.append(editor)
    wait_idle(qtbot, w)
    return windows


def test_every_control_of_every_window_has_a_name(qtbot: QtBot, window: MainWindow,
                                                  tmp_path: Path) -> None:
    w = window
    capture_id = _workspace_with_a_case(qtbot, w, tmp_path)
    windows = _open_every_window(qtbot, w, capture_id)
    for top in QApplication.topLevelWidgets():  # and any dialog the others opened
        if top.isVisible() and top not in windows and not top.inherits("QMenu"):
            windows.append(top)
    unnamed = [entry for top in windows for entry in unnamed_controls(top)]
    assert unnamed == []


def test_the_walk_finds_an_unnamed_control_and_takes_the_buddys_name(qtbot: QtBot) -> None:
    """The walk itself: a line edit with no label is found; one named is not; a button
    is named by its text."""
    top = QWidget()
    qtbot.addWidget(top)
    bare = QLineEdit(top)
    bare.setObjectName("bare")
    named = name(QLineEdit(top), "Reference", "The exhibit reference, such as AB/1")
    QPushButton("&Seal", top)
    top.show()
    assert unnamed_controls(top) == ["QLineEdit 'bare' in QWidget"]
    assert spoken_name(named) == "Reference"


def test_every_control_of_every_dialog_has_a_name(qtbot: QtBot, window: MainWindow,
                                                  tmp_path: Path) -> None:
    """The smaller dialogs: capture details, add contact, compare fingerprints, the
    agency identity, a passphrase being chosen, the workspace check."""
    w = window
    _workspace_with_a_case(qtbot, w, tmp_path)
    w.views.current_view().selectAll()
    contact = w.reader.contacts.all()[0]
    dialogs: list[QWidget] = [
        w.open_details_form(w.views.selected_ids()), ContactDialog(w.ops, w),
        ContactVerifyDialog(w.ops, contact, w), IssuerDialog(w.reader, w.ops, parent=w),
        PassphraseDialog(PassphraseRequest("agency keys", tmp_path, creating=True), w)]
    w.verify()
    qtbot.waitUntil(lambda: w.findChild(VerifyDialog) is not None, timeout=30_000)
    dialogs.append(w.findChild(VerifyDialog))
    for dialog in dialogs:
        dialog.show()
    unnamed = [entry for top in dialogs for entry in unnamed_controls(top)]
    assert unnamed == []


# ------------------------------------------------------------------------- contrast
def _luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green())
            + 0.0722 * channel(colour.blue()))


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG 2 contrast ratio of two opaque colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


Role, Group = QPalette.ColorRole, QPalette.ColorGroup
#: Each text role and the backgrounds it is drawn on.
TEXT_ON = {Role.Text: (Role.Base, Role.AlternateBase), Role.WindowText: (Role.Window,),
           Role.ButtonText: (Role.Button,), Role.PlaceholderText: (Role.Base,),
           Role.HighlightedText: (Role.Highlight,), Role.ToolTipText: (Role.ToolTipBase,),
           Role.Link: (Role.Base, Role.Window)}
PALETTES = {"light": light_palette, "dark": dark_palette}


def _opaque(colour: QColor, under: QColor) -> QColor:
    """``colour`` as it shows over ``under`` (a half-transparent placeholder ...)."""
    alpha = colour.alphaF()
    return QColor(*(round(alpha * c + (1 - alpha) * u) for c, u in (
        (colour.red(), under.red()), (colour.green(), under.green()),
        (colour.blue(), under.blue()))))


@pytest.mark.parametrize("scheme", sorted(PALETTES))
def test_text_contrast_of_each_theme(qtbot: QtBot, scheme: str) -> None:
    """Normal text at least 4.5:1 against what it is drawn on, disabled text 3:1."""
    palette = PALETTES[scheme]()
    failing = []
    for group, least in ((Group.Active, 4.5), (Group.Inactive, 4.5), (Group.Disabled, 3.0)):
        for text, backgrounds in TEXT_ON.items():
            for background in backgrounds:
                under = palette.color(group, background)
                ratio = contrast(_opaque(palette.color(group, text), under), under)
                if ratio < least:
                    failing.append(f"{group.name} {text.name} on {background.name}: "
                                   f"{ratio:.2f}")
    assert failing == []


@pytest.mark.parametrize("scheme", sorted(PALETTES))
def test_colours_the_ui_paints_text_in_have_contrast(qtbot: QtBot, scheme: str) -> None:
    """The warning text (a refused value, an item with no URL), the indicators' review
    states, and white text on the gallery's platform marks and state chips."""
    palette = PALETTES[scheme]()
    painted = {"warning": warning_colour(palette),
               **{s: status_colour(s, palette) for s in ("found", "confirmed", "rejected")}}
    failing = [f"{what} on {bg.name}: {contrast(colour, palette.color(bg)):.2f}"
               for what, colour in painted.items()
               for bg in (Role.Base, Role.AlternateBase, Role.Window)
               if contrast(colour, palette.color(bg)) < 4.5]
    white = QColor("white")
    assert PLATFORM_COLOURS and STATE_COLOURS
    for kind, colours in (("platform", PLATFORM_COLOURS), ("state", STATE_COLOURS)):
        failing += [f"white on {kind} {key}: {contrast(white, QColor(c)):.2f}"
                    for key, c in colours.items() if contrast(white, QColor(c)) < 4.5]
    assert failing == []


def test_the_light_theme_is_the_one_applied(qtbot: QtBot) -> None:
    """What :func:`apply_scheme` sets on a light desktop is the checked palette."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    try:
        if apply_scheme(app) == "light":
            assert app.palette().color(Role.Highlight) == light_palette().color(Role.Highlight)
    finally:
        app.setPalette(before)


def test_every_control_of_the_first_start_setup_has_a_name(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:
    """The first-start setup, every page of it (the walk reads hidden pages too)."""
    wizard = show_first_start(window.session, window.ops, prefs,
                              passphrases=window.passphrases, notify=window.notify,
                              parent=window)
    qtbot.waitUntil(lambda: wizard.keys.store_known and wizard.reading.languages_listed,
                    timeout=30_000)
    assert len(wizard.pageIds()) == 6
    assert unnamed_controls(wizard) == []
    wizard.done(0)
