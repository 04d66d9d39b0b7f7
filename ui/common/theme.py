"""Follow the system's light or dark appearance.

The Fusion style is used everywhere (it looks the same on every desktop and
supports both palettes); the palette follows ``QStyleHints.colorScheme`` and
changes live when the system switches.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


def dark_palette() -> QPalette:
    """A dark palette for Fusion."""
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    role = QPalette.ColorRole
    for r, colour in ((role.Window, window), (role.WindowText, text), (role.Base, base),
                      (role.AlternateBase, QColor(38, 40, 43)), (role.ToolTipBase, window),
                      (role.ToolTipText, text), (role.Text, text), (role.Button, window),
                      (role.ButtonText, text), (role.BrightText, QColor(255, 90, 90)),
                      (role.Link, QColor(100, 160, 255)), (role.Highlight, QColor(53, 116, 240)),
                      (role.HighlightedText, QColor(255, 255, 255)),
                      (role.PlaceholderText, QColor(140, 143, 148))):
        p.setColor(r, colour)
    disabled = QColor(120, 122, 126)
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return p


def apply_scheme(app: QApplication) -> str:
    """Set the palette for the current system scheme; returns ``dark`` or ``light``."""
    scheme = QGuiApplication.styleHints().colorScheme()
    style = app.style()
    if scheme == Qt.ColorScheme.Dark:
        app.setPalette(dark_palette())
        return "dark"
    app.setPalette(style.standardPalette())
    return "light"


def follow_system(app: QApplication) -> None:
    """Use Fusion and keep the palette in step with the system's light/dark setting."""
    app.setStyle("Fusion")
    apply_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_scheme(app))
