"""Streaming ZIP writing for alert packs (:class:`ZipPackWriter`), and the package's
ZIP entry point: the shared errors and name rules (:mod:`~workstation.packs.format.zipbase`)
and safe extraction of untrusted ZIPs (:mod:`~workstation.packs.format.zipextract`)
are importable from here too.

Members are copied file by file in 1 MiB chunks, so memory stays flat whatever
the evidence size.  While a member is written its SHA-256 and MD5 are computed
(platforms ask for both), and when the caller passes the SHA-256 recorded at
capture time the copy is checked against it: evidence that changed on disk since
capture aborts the pack with :class:`EvidenceChanged`.  The output may be a path
(written atomically) or any writable binary object, including a non-seekable one
such as :class:`workstation.crypto.age.EncryptingWriter` (zipfile then writes data
descriptors, which every unzip tool reads).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import time
import zipfile
from pathlib import Path
from typing import IO, Any, Literal

from workstation.crypto.filecrypt import FileDecryptionError
from workstation.crypto.vault import Vault
from workstation.errors import Cancelled, RejectedInput, WorkstationError
from workstation.files import AtomicFile, CloseOrAbort
from workstation.packs.format.zipbase import (
    CHUNK,
    ArchiveError,
    ArchiveTooLarge,
    DamagedArchive,
    EvidenceChanged,
    MemberDigest,
    UnsafeArchive,
    check_member_name,
    format_sha256sum,
    name_key,
)
from workstation.packs.format.zipextract import ExtractLimits, safe_extract
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

_ALREADY_COMPRESSED = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".avif",
    ".mp4", ".mov", ".m4v", ".webm", ".mkv", ".mp3", ".m4a", ".ogg", ".opus",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".age", ".pdf",
}  # fmt: skip


def _default_compress(arcname: str) -> bool:
    return Path(arcname).suffix.lower() not in _ALREADY_COMPRESSED


class ZipPackWriter(CloseOrAbort):
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
        self._out: AtomicFile | None = None
        self._failure: BaseException | None = None
        self._closed = False
        self._keys: set[str] = set()
        self._dir_keys: set[str] = set()
        self.members: list[MemberDigest] = []
        if isinstance(dst, str | os.PathLike):
            try:
                self._out = AtomicFile(dst, 0o600, make_parents=False)  # plaintext: owner only
            except OSError as exc:
                raise WorkstationError(
                    f"Cannot create the pack {os.fspath(dst)!r}: {exc.strerror}."
                ) from None
            self._fh: Any = self._out.file
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
        key = name_key(arcname)
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
                    chunk = src.read(CHUNK)
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
        vault: Vault | None = None,
    ) -> MemberDigest:
        """Copy file ``src`` into member ``arcname`` (see :meth:`add_stream`); with an
        encrypting ``vault`` (a workspace encrypted at rest), its plaintext."""
        self._check_open()
        if vault is not None and vault.encrypted:
            return self._add_vault_file(vault, Path(src), arcname, expected_sha256, compress,
                                        md5)
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

    def _add_vault_file(self, vault: Vault, src: Path, arcname: str,
                        expected_sha256: str | None, compress: bool | None,
                        md5: bool) -> MemberDigest:
        try:
            with vault.open(src) as fh:
                return self.add_stream(fh, arcname, expected_sha256=expected_sha256,
                                       compress=compress, md5=md5, source_label=str(src))
        except FileDecryptionError:
            self._failure = EvidenceChanged(arcname)
            raise EvidenceChanged(
                f"Evidence {str(src)!r} has changed since it was captured: it no longer "
                "decrypts. The pack was not created.") from None
        except OSError as exc:
            self._failure = exc
            raise WorkstationError(
                f"Cannot read evidence file {str(src)!r}: {exc.strerror}.") from None

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
            if self._out is not None:
                self._out.commit()
                self._out = None
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
        if self._out is not None:
            self._out.discard()
            self._out = None

    def sha256sum_manifest(self) -> str:
        """The members written so far in ``sha256sum`` format."""
        return format_sha256sum(self.members)

