"""Safe extraction of untrusted ZIPs (:func:`safe_extract`).

The archive is treated as hostile.  Before anything is written every member is
checked: a safe relative name (:func:`~workstation.packs.format.zipbase.check_member_name`);
no symlinks or special files (Unix mode in ``external_attr``, Windows reparse
points); no encryption or exotic compression; no duplicates, including names
that differ only by case or Unicode normalisation, and no file that is also
used as a directory; at most ``max_members`` members.  Sizes are limited twice:
the declared sizes first, then the bytes actually produced while streaming (zip
bombs lie in their headers).  Members are written into a fresh temporary
directory beside the target, which is renamed into place only when everything
succeeded, so a rejected archive leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workstation.errors import Cancelled, WorkstationError
from workstation.packs.format.zipbase import (
    CHUNK,
    ArchiveError,
    ArchiveTooLarge,
    DamagedArchive,
    MemberDigest,
    UnsafeArchive,
    check_member_name,
    name_key,
)
from workstation.progress import CancelToken

_FILE_ATTR_RE_PARSE_POINT = 0x400  # MS-DOS/Windows FILE_ATTRIBUTE_REPARSE_POINT


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Limits for :func:`safe_extract`."""

    max_members: int = 10_000
    max_member_size: int = 1 << 30  # 1 GiB
    max_total_size: int = 4 << 30  # 4 GiB
    max_archive_size: int = 4 << 30  # size of the ZIP file itself


def _check_member_type(info: zipfile.ZipInfo) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    fmt = stat.S_IFMT(mode)
    if fmt == stat.S_IFLNK:
        raise UnsafeArchive(f"Archive member {name!r} is refused: it is a symbolic link.")
    if fmt not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeArchive(
            f"Archive member {name!r} is refused: it is a special file (device, pipe or socket)."
        )
    if info.external_attr & _FILE_ATTR_RE_PARSE_POINT and info.create_system == 0:
        raise UnsafeArchive(
            f"Archive member {name!r} is refused: it is a Windows link (reparse point)."
        )
    if fmt == stat.S_IFDIR and not info.is_dir():
        raise UnsafeArchive(f"Archive member {name!r} is refused: a directory without '/'.")
    if info.flag_bits & 0x1:
        raise UnsafeArchive(f"Archive member {name!r} is refused: it is password-encrypted.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnsafeArchive(
            f"Archive member {name!r} is refused: unsupported compression method "
            f"{info.compress_type} (only stored and deflated are accepted)."
        )


def _plan(infos: list[zipfile.ZipInfo], limits: ExtractLimits) -> None:
    """Check every member before anything is written."""
    if len(infos) > limits.max_members:
        raise ArchiveTooLarge(
            f"The archive has {len(infos)} members; at most {limits.max_members} are accepted."
        )
    files: dict[str, str] = {}
    dirs: dict[str, str] = {}
    implied: dict[str, str] = {}
    declared_total = 0
    for info in infos:
        if "\x00" in info.orig_filename:
            raise UnsafeArchive(
                f"Archive member {info.orig_filename!r} is refused: NUL character in name."
            )
        check_member_name(info.filename)
        _check_member_type(info)
        key = name_key(info.filename)
        if key in files or key in dirs:
            other = files.get(key) or dirs.get(key)
            raise UnsafeArchive(
                f"Archive member {info.filename!r} is refused: duplicate of {other!r} "
                "(names are compared ignoring case and Unicode normalisation)."
            )
        parts = key.split("/")
        for i in range(1, len(parts)):
            implied.setdefault("/".join(parts[:i]), info.filename)
        if info.is_dir():
            dirs[key] = info.filename
            continue
        files[key] = info.filename
        if info.file_size > limits.max_member_size:
            raise ArchiveTooLarge(
                f"Archive member {info.filename!r} declares {info.file_size} bytes; at most "
                f"{limits.max_member_size} are accepted per member."
            )
        declared_total += info.file_size
        if declared_total > limits.max_total_size:
            raise ArchiveTooLarge(
                f"The archive declares more than {limits.max_total_size} bytes in total "
                f"(reached at member {info.filename!r})."
            )
    for key, name in files.items():
        if key in implied:
            raise UnsafeArchive(
                f"Archive member {name!r} is refused: it is a file but "
                f"{implied[key]!r} uses it as a folder."
            )


def check_archive(infos: list[zipfile.ZipInfo], limits: ExtractLimits) -> None:
    """Check every member's name, type and declared size before anything is read."""
    _plan(infos, limits)


def stream_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limit: int,
    out: IO[bytes] | None = None,
    *,
    md5: bool = True,
    cancel: CancelToken | None = None,
) -> MemberDigest:
    """Read one member, hashing it (and writing it to ``out`` when given), at most ``limit``
    bytes: a member declaring more is refused before a byte is read, and reading stops
    at ``limit`` whatever the header said.  Errors writing ``out`` propagate as
    :class:`OSError`."""
    name = info.filename
    if info.file_size > limit:
        raise ArchiveTooLarge(
            f"Archive member {name!r} declares {info.file_size} bytes; at most {limit} are "
            "accepted."
        )
    sha256 = hashlib.sha256()
    md5_hash = hashlib.md5(usedforsecurity=False) if md5 else None
    size = 0
    try:
        with zf.open(info) as src:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled("Reading the archive was cancelled; nothing was kept.")
                chunk = src.read(min(CHUNK, limit - size + 1))
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise ArchiveTooLarge(
                        f"Archive member {name!r} is longer than {limit} bytes; reading stopped."
                    )
                sha256.update(chunk)
                if md5_hash is not None:
                    md5_hash.update(chunk)
                if out is not None:
                    out.write(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        raise DamagedArchive(f"Archive member {name!r} is damaged ({exc}).") from None
    except zipfile.LargeZipFile as exc:
        raise DamagedArchive(f"Archive member {name!r} cannot be read ({exc}).") from None
    return MemberDigest(name, size, sha256.hexdigest(),
                        md5_hash.hexdigest() if md5_hash is not None else "")


def open_new_file(path: Path) -> int:
    """A new file (never an existing one, never through a link), mode 0600."""
    return _open_new_file(path)


def _open_new_file(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, 0o600)


def safe_extract(
    archive: str | os.PathLike[str] | IO[bytes],
    target_dir: str | os.PathLike[str],
    *,
    limits: ExtractLimits | None = None,
    cancel: CancelToken | None = None,
) -> list[MemberDigest]:
    """Extract an untrusted ZIP into ``target_dir`` (which must not exist, or be empty).

    Returns the extracted files with their sizes and digests.  Raises
    :class:`UnsafeArchive` / :class:`ArchiveTooLarge` / :class:`DamagedArchive`
    naming the offending member; then nothing is left in ``target_dir``.
    """
    limits = limits or ExtractLimits()
    target = Path(target_dir)
    if target.exists():
        if not target.is_dir() or target.is_symlink():
            raise WorkstationError(f"{str(target)!r} exists and is not a folder.")
        if any(target.iterdir()):
            raise WorkstationError(f"The folder {str(target)!r} is not empty.")
    if isinstance(archive, str | os.PathLike):
        label = repr(os.fspath(archive))
        try:
            archive_size = os.stat(archive).st_size
        except OSError as exc:
            raise ArchiveError(f"Cannot read the archive {label}: {exc.strerror}.") from None
        if archive_size > limits.max_archive_size:
            raise ArchiveTooLarge(
                f"The archive {label} is {archive_size} bytes; at most "
                f"{limits.max_archive_size} are accepted."
            )
    else:
        label = "the archive"
    try:
        zf = zipfile.ZipFile(archive, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise DamagedArchive(f"{label} is not a valid ZIP archive ({exc}).") from None
    except OSError as exc:
        raise ArchiveError(f"Cannot read the archive {label}: {exc.strerror}.") from None
    with zf:
        infos = zf.infolist()
        _plan(infos, limits)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.extract-"))
        try:
            results = _extract_all(zf, infos, staging, limits, cancel)
            if target.exists():
                target.rmdir()
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return results


def _extract_all(
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    root: Path,
    limits: ExtractLimits,
    cancel: CancelToken | None,
) -> list[MemberDigest]:
    real_root = root.resolve()
    results: list[MemberDigest] = []
    total = 0
    for info in infos:
        name = info.filename
        parts = name.rstrip("/").split("/")
        dest = root.joinpath(*parts)
        if info.is_dir():
            dest.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not dest.parent.resolve().is_relative_to(real_root):
            raise UnsafeArchive(f"Archive member {name!r} would be written outside the folder.")
        sha256 = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with zf.open(info) as src, os.fdopen(_open_new_file(dest), "wb") as out:
                while True:
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled("Extraction was cancelled; nothing was kept.")
                    chunk = src.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    total += len(chunk)
                    if size > limits.max_member_size:
                        raise ArchiveTooLarge(
                            f"Archive member {name!r} expands to more than "
                            f"{limits.max_member_size} bytes (its header claimed "
                            f"{info.file_size}); extraction stopped."
                        )
                    if total > limits.max_total_size:
                        raise ArchiveTooLarge(
                            f"The archive expands to more than {limits.max_total_size} bytes "
                            f"(reached at member {name!r}); extraction stopped."
                        )
                    sha256.update(chunk)
                    md5.update(chunk)
                    out.write(chunk)
        except FileExistsError:
            raise UnsafeArchive(f"Archive member {name!r} is refused: duplicate name.") from None
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
            raise DamagedArchive(f"Archive member {name!r} is damaged ({exc}).") from None
        except zipfile.LargeZipFile as exc:
            raise DamagedArchive(f"Archive member {name!r} cannot be read ({exc}).") from None
        except zlib.error as exc:
            raise DamagedArchive(f"Archive member {name!r} is damaged ({exc}).") from None
        results.append(MemberDigest(name, size, sha256.hexdigest(), md5.hexdigest()))
    return results
