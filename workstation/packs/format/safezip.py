"""Streaming ZIP writing for alert packs, and safe extraction of untrusted ZIPs.

Writing (:class:`ZipPackWriter`): members are copied file by file in 1 MiB
chunks, so memory stays flat whatever the evidence size.  While a member is
written its SHA-256 and MD5 are computed (platforms ask for both), and when
the caller passes the SHA-256 recorded at capture time the copy is checked
against it: evidence that changed on disk since capture aborts the pack with
:class:`EvidenceChanged`.  The output may be a path (written atomically) or
any writable binary object, including a non-seekable one such as
:class:`workstation.crypto.age.EncryptingWriter` (zipfile then writes data
descriptors, which every unzip tool reads).

Extraction (:func:`safe_extract`) treats the archive as hostile.  Before
anything is written every member is checked: no absolute paths, drive letters,
``..``/``.`` or empty components, backslashes, colons, control characters,
Windows reserved names; no symlinks or special files (Unix mode in
``external_attr``, Windows reparse points); no encryption or exotic
compression; no duplicates, including names that differ only by case or
Unicode normalisation, and no file that is also used as a directory; at most
``max_members`` members.  Sizes are limited twice: the declared sizes first,
then the bytes actually produced while streaming (zip bombs lie in their
headers).  Members are written into a fresh temporary directory beside the
target, which is renamed into place only when everything succeeded, so a
rejected archive leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from workstation.errors import Cancelled, RejectedInput, WorkstationError
from workstation.progress import CancelToken

__all__ = [
    "ArchiveError",
    "ArchiveTooLarge",
    "DamagedArchive",
    "EvidenceChanged",
    "ExtractLimits",
    "MemberDigest",
    "UnsafeArchive",
    "ZipPackWriter",
    "check_member_name",
    "format_sha256sum",
    "safe_extract",
]

_CHUNK = 1 << 20
_MAX_NAME_CHARS = 1024
_MAX_COMPONENT_BYTES = 255
_MAX_DEPTH = 32
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_FORBIDDEN_CHARS = set('\\:*?"<>|')
_ALREADY_COMPRESSED = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".avif",
    ".mp4", ".mov", ".m4v", ".webm", ".mkv", ".mp3", ".m4a", ".ogg", ".opus",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".age", ".pdf",
}  # fmt: skip
_FILE_ATTR_RE_PARSE_POINT = 0x400  # MS-DOS/Windows FILE_ATTRIBUTE_REPARSE_POINT


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


def _name_key(name: str) -> str:
    """Collision key: names equal on case-insensitive / normalising file systems."""
    return unicodedata.normalize("NFC", name.rstrip("/")).casefold()


# ---------------------------------------------------------------------------
# Writing


def _default_compress(arcname: str) -> bool:
    return Path(arcname).suffix.lower() not in _ALREADY_COMPRESSED


class ZipPackWriter:
    """Write a ZIP member by member, streaming, with SHA-256/MD5 of each member.

    ``dst`` is a path (written atomically: the file appears only when
    :meth:`close` succeeds) or a writable binary object (not closed here).
    ``compression``: ``"auto"`` stores already-compressed formats (JPEG, PNG,
    video…) and deflates the rest; ``"stored"`` or ``"deflated"`` force one.
    ``date_time`` fixes every member's timestamp (reproducible packs);
    otherwise files keep their modification time and other members get the
    current time.  A ``cancel`` token is checked between chunks.
    """

    def __init__(
        self,
        dst: str | os.PathLike[str] | IO[bytes] | Any,
        *,
        compression: Literal["auto", "stored", "deflated"] = "auto",
        date_time: tuple[int, int, int, int, int, int] | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self._compression = compression
        self._date_time = date_time
        self._cancel = cancel
        self._tmp_path: str | None = None
        self._final_path: Path | None = None
        self._failure: BaseException | None = None
        self._closed = False
        self._keys: set[str] = set()
        self._dir_keys: set[str] = set()
        self.members: list[MemberDigest] = []
        if isinstance(dst, str | os.PathLike):
            self._final_path = Path(dst)
            try:
                fd, self._tmp_path = tempfile.mkstemp(
                    dir=self._final_path.parent, prefix=f".{self._final_path.name}.", suffix=".tmp"
                )
            except OSError as exc:
                raise WorkstationError(
                    f"Cannot create the pack {os.fspath(dst)!r}: {exc.strerror}."
                ) from None
            self._fh: Any = os.fdopen(fd, "wb")
        else:
            self._fh = dst
        self._zip = zipfile.ZipFile(self._fh, "w", allowZip64=True)

    # -- members --------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("the ZIP writer is closed")
        if self._failure is not None:
            raise WorkstationError(
                "The pack cannot be continued after an earlier error; start it again."
            ) from self._failure

    def _register(self, arcname: str) -> None:
        check_member_name(arcname)
        if arcname.endswith("/"):
            raise UnsafeArchive(f"Archive member {arcname!r}: directory entries are not written.")
        key = _name_key(arcname)
        parts = key.split("/")
        dirs = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if key in self._keys or key in self._dir_keys or dirs & self._keys:
            raise UnsafeArchive(
                f"Archive member {arcname!r} clashes with a member already in the pack "
                "(same name, ignoring case, or a file used as a folder)."
            )
        self._keys.add(key)
        self._dir_keys |= dirs

    def _zinfo(self, arcname: str, mtime: float | None, compress: bool | None) -> zipfile.ZipInfo:
        if self._date_time is not None:
            date_time = self._date_time
        else:
            t = time.localtime(time.time() if mtime is None else mtime)
            date_time = (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
            if not 1980 <= t.tm_year <= 2107:  # the range a ZIP timestamp can hold
                date_time = (1980, 1, 1, 0, 0, 0)
        info = zipfile.ZipInfo(arcname, date_time)
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        if compress is None:
            if self._compression == "auto":
                compress = _default_compress(arcname)
            else:
                compress = self._compression == "deflated"
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        return info

    def add_stream(
        self,
        src: IO[bytes] | Any,
        arcname: str,
        *,
        size: int | None = None,
        expected_sha256: str | None = None,
        compress: bool | None = None,
        mtime: float | None = None,
        source_label: str | None = None,
        md5: bool = True,
    ) -> MemberDigest:
        """Copy a readable binary stream into member ``arcname``.

        ``md5=False`` skips the MD5 (the digest's ``md5`` is then empty): for evidence
        whose SHA-256 is checked against the capture, the MD5 recorded at import holds.

        ``size`` (if known) lets the member use plain ZIP headers when small;
        unknown sizes get ZIP64 headers.  With ``expected_sha256``, a copy
        whose SHA-256 differs raises :class:`EvidenceChanged` and the writer
        refuses any further use (the pack must be discarded).
        """
        self._check_open()
        self._register(arcname)
        info = self._zinfo(arcname, mtime, compress)
        if size is not None:
            info.file_size = size
        sha256 = hashlib.sha256()
        md5h = hashlib.md5(usedforsecurity=False) if md5 else None
        total = 0
        try:
            with self._zip.open(info, "w", force_zip64=size is None) as member:
                while True:
                    if self._cancel is not None and self._cancel.cancelled:
                        raise Cancelled("Packing was cancelled.")
                    chunk = src.read(_CHUNK)
                    if not chunk:
                        break
                    sha256.update(chunk)
                    if md5h is not None:
                        md5h.update(chunk)
                    member.write(chunk)
                    total += len(chunk)
            digest = MemberDigest(arcname, total, sha256.hexdigest(),
                                  md5h.hexdigest() if md5h is not None else "")
            if expected_sha256 is not None and digest.sha256 != expected_sha256.strip().lower():
                label = source_label or arcname
                raise EvidenceChanged(
                    f"Evidence {label!r} has changed since it was captured: its SHA-256 is now "
                    f"{digest.sha256}, expected {expected_sha256.strip().lower()}. "
                    "The pack was not created."
                )
        except BaseException as exc:
            self._failure = exc
            raise
        self.members.append(digest)
        return digest

    def add_file(
        self,
        src: str | os.PathLike[str],
        arcname: str,
        *,
        expected_sha256: str | None = None,
        compress: bool | None = None,
        md5: bool = True,
    ) -> MemberDigest:
        """Copy file ``src`` into member ``arcname`` (see :meth:`add_stream`)."""
        self._check_open()
        try:
            fh = open(src, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise WorkstationError(
                f"Cannot read evidence file {os.fspath(src)!r}: {exc.strerror}."
            ) from None
        with fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise RejectedInput(f"{os.fspath(src)!r} is not a regular file.")
            try:
                return self.add_stream(
                    fh,
                    arcname,
                    size=st.st_size,
                    expected_sha256=expected_sha256,
                    compress=compress,
                    md5=md5,
                    mtime=st.st_mtime,
                    source_label=os.fspath(src),
                )
            except OSError as exc:
                self._failure = exc
                raise WorkstationError(
                    f"Cannot read evidence file {os.fspath(src)!r}: {exc.strerror}."
                ) from None

    def add_bytes(self, arcname: str, data: bytes, *, compress: bool | None = None) -> MemberDigest:
        """Add a small in-memory member (manifest, notes)."""
        return self.add_stream(io.BytesIO(data), arcname, size=len(data), compress=compress)

    # -- closing --------------------------------------------------------------

    def close(self) -> None:
        """Write the central directory; a path output is then moved into place."""
        if self._closed:
            return
        if self._failure is not None:
            self.abort()
            raise WorkstationError(
                "The pack was not completed because of an earlier error."
            ) from self._failure
        self._closed = True
        try:
            self._zip.close()
            if self._tmp_path is not None and self._final_path is not None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()
                os.replace(self._tmp_path, self._final_path)
                self._tmp_path = None
        except BaseException:
            self._discard()
            raise

    def abort(self) -> None:
        """Give up: a path output is removed; a stream output is left to the caller."""
        if self._closed:
            return
        self._closed = True
        # Do not write a central directory; just drop the file handle.
        with contextlib.suppress(Exception):
            self._zip.fp = None
        self._discard()

    def _discard(self) -> None:
        if self._tmp_path is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            with contextlib.suppress(OSError):
                os.unlink(self._tmp_path)
            self._tmp_path = None

    def sha256sum_manifest(self) -> str:
        """The members written so far in ``sha256sum`` format."""
        return format_sha256sum(self.members)

    def __enter__(self) -> ZipPackWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


# ---------------------------------------------------------------------------
# Extraction


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
        key = _name_key(info.filename)
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
                    chunk = src.read(_CHUNK)
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
