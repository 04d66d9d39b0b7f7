"""Build configuration beyond pyproject.toml: the optional compiled search ranker.

``workstation.storage._awrank`` (workstation/storage/native/awrank.c) is a SQLite loadable
extension that ranks full-text matches exactly as FTS5's bm25() does, 3-4x
faster on broad queries (see workstation/ranking.py and bench/search_bench.py).
It needs a C compiler and SQLite's ``sqlite3ext.h`` (Debian: gcc, libsqlite3-dev).
It is optional: when it cannot be built the install still succeeds and search
uses SQLite's own bm25(), giving the same results more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "workstation.storage._awrank",
            sources=["workstation/storage/native/awrank.c"],
            libraries=[] if __import__("sys").platform == "win32" else ["m"],
            optional=True,
        )
    ]
)
