"""The one SQLite binding the whole workstation uses.

``sqlean.py`` is a drop-in build of Python's ``sqlite3`` module with a current
SQLite (3.50 at the time of writing, against 3.40 in Debian 12's Python) and
extension loading enabled on every platform — which the compiled search ranker
(:mod:`workstation.storage.ranking`) needs and which Python builds such as pyenv's leave
out.  Every module imports ``sqlite3`` from here, never the standard library's
directly: two copies of SQLite in one process must not open the same database
file, or closing one copy's file handle drops the other copy's POSIX locks
(https://www.sqlite.org/howtocorrupt.html, section 2.2).  (sqlite-utils, the optional ``tools``
extra for queries of a workspace *copy*, opens files with the standard library's
module; no module of the app imports it.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
else:
    try:
        import sqlean as sqlite3
    except ImportError:  # not installed: the standard library's, without the ranker
        import sqlite3

__all__ = ["sqlite3"]
