"""The desktop-app fixtures (``prefs``, ``session``, ``window``) for every test under
tests/gui/ only: the core tests (tests/core/) never import Qt."""

from tests.gui.guiutil import prefs, session, window

__all__ = ["prefs", "session", "window"]
