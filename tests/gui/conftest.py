"""The desktop-app fixtures (``prefs``, ``session``, ``window``,
``restore_process_state``) for every test under tests/gui/ only: the core tests
(tests/core/) never import Qt."""

from tests.gui.guiutil import prefs, restore_process_state, session, window

__all__ = ["prefs", "restore_process_state", "session", "window"]
