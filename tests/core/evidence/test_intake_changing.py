"""A file still being written while it is imported is refused ("file changed while being
read; try again"), never stored as a snapshot.  The write happens for real, exactly
during the import's read: a fanotify permission event holds the import's first read
until the test has appended to the file (Linux, root — as in the CI container)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.imagegen import make_image
from workstation.evidence.intake import FILE_CHANGED
from workstation.workspace import Workspace

_FAN_CLASS_CONTENT, _FAN_CLOEXEC, _FAN_ACCESS_PERM = 0x4, 0x1, 0x20000
_FAN_MARK_ADD, _FAN_ALLOW, _AT_FDCWD = 0x1, 0x1, -100
_EVENT = struct.Struct("IBBHQii")  # struct fanotify_event_metadata


def _fanotify() -> tuple[Any, int]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("holding a read with fanotify needs Linux and root")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
    libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                                   ctypes.c_char_p]
    fd = libc.fanotify_init(_FAN_CLASS_CONTENT | _FAN_CLOEXEC, os.O_RDONLY)
    if fd < 0:
        pytest.skip(f"fanotify is not available: {os.strerror(ctypes.get_errno())}")
    return libc, fd


@contextlib.contextmanager
def appended_during_first_read(path: Path, extra: bytes) -> Iterator[None]:
    """While active, the first read of ``path`` waits until ``extra`` was appended to it."""
    libc, fd = _fanotify()
    stop_r, stop_w = os.pipe()
    if libc.fanotify_mark(fd, _FAN_MARK_ADD, _FAN_ACCESS_PERM, _AT_FDCWD,
                          os.fsencode(path)) != 0:
        os.close(fd)
        pytest.skip(f"fanotify_mark failed: {os.strerror(ctypes.get_errno())}")

    def answer() -> None:
        grown = False
        while True:
            ready, _, _ = select.select([fd, stop_r], [], [])
            if stop_r in ready:
                return
            data = os.read(fd, 4096)
            for offset in range(0, len(data), _EVENT.size):
                _len, _v, _r, _m, _mask, event_fd, _pid = _EVENT.unpack_from(data, offset)
                if not grown:
                    with open(path, "ab") as fh:  # the writer that was not finished
                        fh.write(extra)
                    grown = True
                os.write(fd, struct.pack("iI", event_fd, _FAN_ALLOW))
                if event_fd >= 0:
                    os.close(event_fd)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        os.write(stop_w, b"x")
        thread.join()
        for handle in (fd, stop_r, stop_w):
            os.close(handle)


def test_a_file_written_to_while_it_is_read_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "still-saving.png"
    path.write_bytes(make_image(seed=8))
    with appended_during_first_read(path, b"\x00" * 100):
        result = ws.intake.import_file(path)
    assert (result.status, result.error) == ("rejected", FILE_CHANGED)
    assert ws.captures.all() == [] and list(ws.store.tmp.iterdir()) == []
    assert list(ws.store.all_hashes()) == []

    again = ws.intake.import_file(path)  # once it has settled, it imports
    assert again.status == "imported"
