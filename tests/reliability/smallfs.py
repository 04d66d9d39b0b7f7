"""A real, small file system for the disk-full tests: a tmpfs mounted for the test
(needs root, as in the CI container), filled to leave exactly the space a test wants."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

PAGE = 4096


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs at ``tmp_path / "fs"``; skipped, saying why, where it cannot be mounted."""
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("the disk-full tests mount a small tmpfs, which needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def free_bytes(mount: Path) -> int:
    st = os.statvfs(mount)
    return st.f_bavail * st.f_frsize


def fill(mount: Path, leave: int = 0) -> Path:
    """Fill the file system so that ``leave`` bytes (rounded up to whole pages) stay free."""
    filler = mount / "filler"
    leave = -(-leave // PAGE) * PAGE
    with open(filler, "ab") as fh:
        size = free_bytes(mount) - leave
        if size > 0:
            os.posix_fallocate(fh.fileno(), os.fstat(fh.fileno()).st_size, size)
    assert free_bytes(mount) == leave
    return filler
