"""Locating the application's data folders (``db/``, ``resources/``).

In a source checkout (or an editable install) they sit beside the package; in
the PyInstaller bundle they are unpacked under ``sys._MEIPASS``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding ``db/`` and ``resources/``."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    return app_root() / "db"


def resources_dir() -> Path:
    return app_root() / "resources"
