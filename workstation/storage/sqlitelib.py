"""The one SQLite binding the whole workstation uses.

``sqlcipher3`` is a build of Python's ``sqlite3`` module with SQLCipher 4: a current
SQLite (3.53 at the time of writing, against 3.40 in Debian 12's Python) with FTS5,
extension loading enabled (which the compiled search ranker,
:mod:`workstation.storage.ranking`, needs and which Python builds such as pyenv's leave
out), and page encryption for workspaces encrypted at rest.  A database opened without
a key is an ordinary SQLite file.  Every module imports ``sqlite3`` from here, never
the standard library's directly: two copies of SQLite in one process must not open the
same database file, or closing one copy's file handle drops the other copy's POSIX
locks (https://www.sqlite.org/howtocorrupt.html, section 2.2).  (sqlite-utils, the
optional ``tools`` extra for queries of a workspace *copy*, opens files with the
standard library's module; no module of the app imports it.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
else:
    try:
        from sqlcipher3 import dbapi2 as sqlite3
    except ImportError:  # not installed: the standard library's, without the ranker
        import sqlite3

__all__ = ["sqlite3"]
