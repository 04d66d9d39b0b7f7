"""The application's data files, shipped inside the package and found with
:mod:`importlib.resources`: the keyword lexicon (``lexicon/``), the platforms'
policy clauses (``policies/``), templates and icons here, and the schema
migrations in ``workstation/storage/migrations/``.

The same code finds them in a source checkout, an editable or a wheel install,
and the PyInstaller bundle (which collects the package's data files).  They are
read as ordinary files, so the package must be installed as files (not zipped).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(package: str, *parts: str) -> Path:
    """The folder ``parts`` inside ``package``, as a file-system path."""
    root = files(package)
    path = Path(str(root)).joinpath(*parts)
    if not path.is_dir():
        raise FileNotFoundError(
            f"The application's data folder {'/'.join(parts)} is missing from {root}: "
            "reinstall Analyst Workstation.")
    return path


def migrations_dir() -> Path:
    """``workstation/storage/migrations``: the numbered schema steps."""
    return package_folder("workstation.storage", "migrations")


def resources_dir() -> Path:
    """``workstation/resources``: lexicon, policies, templates, icons."""
    return package_folder(__name__)
