"""What a killed ``pack build`` leaves beside its output: the temporary file the sealed
pack was being written to (``.NAME.XXXXXXXX.tmp``, :class:`workstation.files.AtomicFile`).
The next build into that folder removes those that are ours — an encrypted pack, which
starts with age's header, or an empty one named after a pack — and nothing else."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from workstation.packs.format.spec import PACK_SUFFIX

_AGE_INTRO = b"age-encryption.org/v1\n"
#: AtomicFile's names: "." + the final name + "." + mkstemp's 8 random characters + ".tmp".
_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def clean_stale_outputs(folder: Path) -> list[str]:
    """Remove the stale temporary pack files in ``folder``; return their names."""
    removed = []
    with contextlib.suppress(OSError):
        for leftover in folder.iterdir():
            if _TEMP.match(leftover.name) and _is_ours(leftover):
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    removed.append(leftover.name)
    return removed


def _is_ours(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(len(_AGE_INTRO))
    if head == _AGE_INTRO:
        return True
    return head == b"" and path.name[1:-13].endswith(PACK_SUFFIX)
