"""Follow the system's light or dark appearance.

The Fusion style is used everywhere (it looks the same on every desktop and
supports both palettes); the palette follows ``QStyleHints.colorScheme`` and
changes live when the system switches.

Both palettes meet WCAG 2 contrast (tests/gui/test_accessibility.py): text at least
4.5:1 against its background, disabled text at least 3:1; so do the few colours the
UI paints text in itself (:func:`warning_colour`, :func:`status_colour`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

#: Text colours of an indicator's review state, (on a light palette, on a dark one).
_STATUS_COLOURS = {"found": (QColor(160, 75, 0), QColor(240, 160, 70)),
                   "confirmed": (QColor(0, 115, 50), QColor(100, 205, 130)),
                   "rejected": (QColor(100, 100, 100), QColor(165, 168, 172))}


def dark_palette() -> QPalette:
    """A dark palette for Fusion."""
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    role = QPalette.ColorRole
    for r, colour in ((role.Window, window), (role.WindowText, text), (role.Base, base),
                      (role.AlternateBase, QColor(38, 40, 43)), (role.ToolTipBase, window),
                      (role.ToolTipText, text), (role.Text, text), (role.Button, window),
                      (role.ButtonText, text), (role.BrightText, QColor(255, 90, 90)),
                      (role.Link, QColor(100, 160, 255)), (role.Highlight, QColor(38, 95, 210)),
                      (role.HighlightedText, QColor(255, 255, 255)),
                      (role.PlaceholderText, QColor(140, 143, 148))):
        p.setColor(r, colour)
    disabled = QColor(120, 122, 126)
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return p


def light_palette() -> QPalette:
    """Fusion's light palette, with the contrast it lacks: its disabled text (1.6:1), its
    selection (white on light blue, 3.7:1) and its half-transparent placeholder."""
    fusion = QStyleFactory.create("Fusion")
    p = fusion.standardPalette() if fusion is not None else QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for g in (group.Active, group.Inactive):
        p.setColor(g, role.Highlight, QColor(29, 98, 170))
        p.setColor(g, role.HighlightedText, QColor(255, 255, 255))
        p.setColor(g, role.PlaceholderText, QColor(110, 110, 110))
    p.setColor(group.Disabled, role.Highlight, QColor(110, 110, 110))
    p.setColor(group.Disabled, role.HighlightedText, QColor(255, 255, 255))
    for r in (role.WindowText, role.Text, role.ButtonText, role.PlaceholderText):
        p.setColor(group.Disabled, r, QColor(118, 118, 118))
    return p


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` draws light text on a dark background."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def warning_colour(palette: QPalette) -> QColor:
    """The text colour of a warning or a refusal, readable on ``palette``'s backgrounds
    (dark red on a light palette, light red on a dark one)."""
    return QColor(255, 138, 128) if is_dark(palette) else QColor(128, 0, 0)


def status_colour(status: str, palette: QPalette) -> QColor:
    """The text colour of an indicator's review ``status`` (found, confirmed,
    rejected) on ``palette``; the palette's text colour for any other."""
    pair = _STATUS_COLOURS.get(status)
    if pair is None:
        return palette.color(QPalette.ColorRole.Text)
    return pair[1] if is_dark(palette) else pair[0]


def apply_scheme(app: QApplication) -> str:
    """Set the palette for the current system scheme; returns ``dark`` or ``light``."""
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        app.setPalette(dark_palette())
        return "dark"
    app.setPalette(light_palette())
    return "light"


def follow_system(app: QApplication) -> None:
    """Use Fusion and keep the palette in step with the system's light/dark setting."""
    app.setStyle("Fusion")
    apply_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_scheme(app))
