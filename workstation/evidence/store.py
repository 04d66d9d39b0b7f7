"""The content-addressed evidence store: ``evidence/ab/cd/<sha256>``.

Originals are kept byte-exact.  A file is written to ``evidence/tmp/``,
fsynced, renamed into place (atomic on one filesystem), its folder fsynced,
and made read-only.  Reading verifies the SHA-256 again.

In a workspace encrypted at rest the file holds the original encrypted with the data key
(:mod:`workstation.crypto.vault`); it is still addressed, and checked, by the SHA-256 of
the original's plaintext bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workstation.crypto.filecrypt import FileDecryptionError
from workstation.crypto.vault import Vault, is_encrypted_file
from workstation.errors import RejectedInput, WorkstationError
from workstation.files import CHUNK, fsync_dir
from workstation.permissions import EVIDENCE_MODE, private_dir


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A file copied into the store's temporary folder, with its digests."""

    path: Path
    sha256: str
    md5: str
    size: int


class EvidenceIntegrityError(WorkstationError):
    """An evidence file is missing or its bytes no longer match the recorded hash."""


class EvidenceStore:
    """Content-addressed, write-once storage of original evidence files."""

    def __init__(self, root: Path, vault: Vault | None = None) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.vault = vault or Vault()

    def ensure(self) -> None:
        private_dir(self.tmp)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def clean_tmp(self) -> int:
        """Remove files left in ``tmp/`` by an interrupted import; return how many."""
        removed = 0
        if self.tmp.is_dir():
            for leftover in self.tmp.iterdir():
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    removed += 1
        return removed

    def stage(self, source: BinaryIO, max_bytes: int) -> StagedFile:
        """Copy ``source`` into ``tmp/`` computing SHA-256 and MD5 in the same pass."""
        self.ensure()
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="import-")
        path = Path(name)
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        try:
            with os.fdopen(fd, "wb") as out:
                with self.vault.wrap(out) as writer:
                    while chunk := source.read(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise RejectedInput(
                                "file is larger than the import limit of "
                                f"{max_bytes // (1 << 20)} MB")
                        sha.update(chunk)
                        md5.update(chunk)
                        writer.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedFile(path, sha.hexdigest(), md5.hexdigest(), size)

    def commit(self, staged: StagedFile) -> Path:
        """Move a staged file to its content address; idempotent for existing content."""
        final = self.path_for(staged.sha256)
        if final.exists():
            if self._plain_sha256(final) == staged.sha256:
                staged.path.unlink(missing_ok=True)
                return final
            # A damaged copy from an earlier crash: replace it with the good bytes.
            os.chmod(final, stat.S_IRUSR | stat.S_IWUSR)
        private_dir(final.parent)
        os.chmod(staged.path, EVIDENCE_MODE)  # read-only, and for its owner only
        os.replace(staged.path, final)
        fsync_dir(final.parent)
        return final

    def _plain_sha256(self, path: Path) -> str | None:
        try:
            return self.vault.sha256(path)
        except (OSError, FileDecryptionError):
            return None

    def read_staged(self, staged: StagedFile) -> bytes:
        """The plaintext of a staged file (to decode it before it is stored)."""
        return self.vault.read_bytes(staged.path)

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def remove_unreferenced(self, sha256: str) -> None:
        """Remove a stored file whose capture was never recorded (the database write
        failed after the file was stored: a full disk); only ever called for such a file."""
        path = self.path_for(sha256)
        try:
            path.unlink(missing_ok=True)
            fsync_dir(path.parent)
        except OSError:
            pass  # left for `verify` to report as unreferenced

    def verify(self, sha256: str) -> str | None:
        """Return None when the stored file matches ``sha256``, else what is wrong (in an
        encrypted workspace, also a file kept unencrypted)."""
        path = self.path_for(sha256)
        try:
            actual = self.vault.sha256(path)
            plain = self.vault.encrypted and not is_encrypted_file(path)
        except FileNotFoundError:
            return "evidence file is missing"
        except OSError as exc:
            return f"evidence file cannot be read: {exc.strerror or exc}"
        except FileDecryptionError:
            return "evidence file altered: it no longer decrypts (damaged or replaced)"
        if actual != sha256:
            return f"evidence file altered: SHA-256 is now {actual}"
        if plain:
            return "evidence file is stored unencrypted in this encrypted workspace"
        return None

    def read_verified(self, sha256: str) -> bytes:
        """The original bytes, after checking they still match their hash."""
        path = self.path_for(sha256)
        try:
            data = self.vault.read_bytes(path)
        except FileNotFoundError:
            raise EvidenceIntegrityError(f"The evidence file for {sha256} is missing.") from None
        except FileDecryptionError:
            raise EvidenceIntegrityError(
                f"The evidence file for {sha256} has been altered (it no longer decrypts).",
                how="verify") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceIntegrityError(
                f"The evidence file for {sha256} has been altered.", how="verify")
        return data

    def worker_source(self, sha256: str) -> str | bytes:
        """What another process (an OCR worker) reads of the original: its path, checked
        first; in an encrypted workspace its verified plaintext bytes.
        :class:`EvidenceIntegrityError` when it is missing or altered."""
        if self.vault.encrypted:
            return self.read_verified(sha256)
        problem = self.verify(sha256)
        if problem:
            raise EvidenceIntegrityError(problem)
        return str(self.path_for(sha256))

    def open(self, sha256: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """The original's plaintext as a stream (decrypted as it is read); the reader
        checks it against ``sha256`` (a pack's or bundle's ZIP writer does)."""
        return self.vault.open(self.path_for(sha256))

    def all_hashes(self) -> Iterator[str]:
        """Every content address present on disk (for finding unreferenced files)."""
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            if first.name == "tmp" or not first.is_dir():
                continue
            for second in first.iterdir():
                if second.is_dir():
                    for f in second.iterdir():
                        yield f.name
