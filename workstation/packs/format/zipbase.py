"""What the alert-pack ZIP writer (:mod:`~workstation.packs.format.safezip`) and the
safe extractor (:mod:`~workstation.packs.format.zipextract`) share: the archive errors,
member digests, the ``sha256sum`` manifest and the rules a member name must follow.

A member name must be a safe relative path: no absolute paths, drive letters,
``..``/``.`` or empty components, backslashes, colons, control characters or
Windows reserved names.  Names are compared for collisions ignoring case and
Unicode normalisation (:func:`name_key`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from workstation.errors import RejectedInput, WorkstationError

#: Bytes read and written at a time while copying a member.
CHUNK = 1 << 20
_MAX_NAME_CHARS = 1024
_MAX_COMPONENT_BYTES = 255
_MAX_DEPTH = 32
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_FORBIDDEN_CHARS = set('\\:*?"<>|')


class ArchiveError(RejectedInput):
    """A ZIP archive was refused."""


class UnsafeArchive(ArchiveError):
    """A ZIP archive contains a hostile or unsupported member."""


class ArchiveTooLarge(UnsafeArchive):
    """A ZIP archive exceeds the member-count or size limits (possibly a zip bomb)."""


class DamagedArchive(ArchiveError):
    """A ZIP archive is corrupt or truncated."""


class EvidenceChanged(WorkstationError):
    """An evidence file no longer has the SHA-256 recorded when it was captured."""


@dataclass(frozen=True, slots=True)
class MemberDigest:
    """A member written to or extracted from a ZIP, with its digests (lower-case hex)."""

    name: str
    size: int
    sha256: str
    md5: str


def format_sha256sum(members: Iterable[MemberDigest]) -> str:
    """A manifest in ``sha256sum`` format, checkable with ``sha256sum -c``."""
    lines = []
    for member in members:
        if "\n" in member.name or "\\" in member.name:
            raise UnsafeArchive(f"Member name {member.name!r} cannot go in a sha256sum manifest.")
        lines.append(f"{member.sha256}  {member.name}\n")
    return "".join(lines)


# ---------------------------------------------------------------------------
# Member names


def check_member_name(name: str) -> str:
    """Check a ZIP member name is a safe relative path; return it unchanged.

    Directory entries end with ``/``.  Raises :class:`UnsafeArchive` naming
    the member and the problem.
    """
    shown = repr(name if len(name) <= 200 else name[:197] + "...")

    def refuse(why: str) -> UnsafeArchive:
        return UnsafeArchive(f"Archive member {shown} is refused: {why}.")

    if not name:
        raise refuse("empty name")
    if len(name) > _MAX_NAME_CHARS:
        raise refuse(f"name longer than {_MAX_NAME_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 0x7F for c in name):
        raise refuse("control character in name")
    if "\\" in name:
        raise refuse("backslash in name (Windows path separator)")
    if name.startswith("/"):
        raise refuse("absolute path")
    if re.match(r"^[A-Za-z]:", name):
        raise refuse("drive letter")
    path = name[:-1] if name.endswith("/") else name
    parts = path.split("/")
    if len(parts) > _MAX_DEPTH:
        raise refuse(f"more than {_MAX_DEPTH} directory levels")
    for part in parts:
        if part == "":
            raise refuse("empty path component ('//' or trailing '/')")
        if part in (".", ".."):
            raise refuse(f"'{part}' path component (path traversal)")
        bad = sorted(set(part) & _FORBIDDEN_CHARS)
        if bad:
            raise refuse(f"forbidden character {bad[0]!r}")
        if part.endswith((" ", ".")):
            raise refuse("path component ending with a space or a dot")
        if _WINDOWS_RESERVED.match(part):
            raise refuse(f"reserved device name {part!r}")
        if len(part.encode("utf-8", "surrogatepass")) > _MAX_COMPONENT_BYTES:
            raise refuse(f"path component longer than {_MAX_COMPONENT_BYTES} bytes")
    return name


def name_key(name: str) -> str:
    """Collision key: names equal on case-insensitive / normalising file systems."""
    return unicodedata.normalize("NFC", name.rstrip("/")).casefold()
