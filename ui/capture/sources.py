"""Getting evidence in: dropped or pasted files and images, and a watched folder.

``paths_from_mime`` and ``image_from_mime`` read what was dropped or pasted;
``FolderWatcher`` notices new screenshots saved into a folder (for instance
the phone-sync or screenshot folder) and reports them once they stop growing.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QFileSystemWatcher,
    QIODevice,
    QMimeData,
    QObject,
    QTimer,
    Signal,
)
from PySide6.QtGui import QImage

from ui.common.qtutil import emit

#: Raw clipboard formats kept byte-exact (the core checks them); anything else is
#: re-encoded as PNG.
RAW_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp")
PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".download", ".partial")


def paths_from_mime(mime: QMimeData) -> list[str]:
    """Local files and folders carried by a drop or paste."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def carries_capture(mime: QMimeData) -> bool:
    """Whether a drag or paste carries files or an image (without decoding anything)."""
    return bool(paths_from_mime(mime)) or mime.hasImage() or any(
        mime.hasFormat(kind) for kind in RAW_IMAGE_TYPES)


def image_from_mime(mime: QMimeData) -> bytes | None:
    """The image carried by a paste: the original bytes when the clipboard offers a
    standard format, else the image encoded as PNG; ``None`` if there is none."""
    for kind in RAW_IMAGE_TYPES:
        if mime.hasFormat(kind):
            data = bytes(mime.data(kind).data())
            if data:
                return data
    if not mime.hasImage():
        return None
    image = mime.imageData()
    if not isinstance(image, QImage) or image.isNull():
        return None
    return png_bytes(image)


def png_bytes(image: QImage) -> bytes:
    """``image`` encoded as PNG."""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub wants bytes
    buffer.close()
    return bytes(array.data())


class FolderWatcher(QObject):
    """Watches one folder for new files (not its sub-folders).

    Files present when watching starts are ignored.  A new file is reported
    once its size and modification time stayed the same for one settle
    interval (so half-written files are not imported).  ``QFileSystemWatcher``
    triggers a scan; a slow poll catches changes it misses (network shares).

    Signals:
        newFiles(list): paths (str) of new, complete files.

    Attributes:
        folder: the folder watched, or ``None``.
    """

    newFiles = Signal(list)

    def __init__(self, settle_ms: int = 1000, poll_ms: int = 3000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self.scan)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self._settle.start())
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.scan)
        self._seen: set[str] = set()
        self._growing: dict[str, tuple[int, int]] = {}

    def watch(self, folder: str | Path | None) -> None:
        """Start watching ``folder`` (``None`` or "" stops)."""
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())
        self._poll.stop()
        self._growing.clear()
        self.folder = Path(folder) if folder else None
        if self.folder is None or not self.folder.is_dir():
            self.folder = None
            return
        self._seen = set(self._listing())
        self._watcher.addPath(str(self.folder))
        self._poll.start()

    def _listing(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        if self.folder is None:
            return out
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES):
                        continue
                    try:
                        if entry.is_file():
                            st = entry.stat()
                            out[entry.path] = (st.st_size, st.st_mtime_ns)
                    except OSError:
                        continue
        except OSError:
            return {}
        return out

    def retry(self, paths: list[str]) -> None:
        """Report these files again once they have settled (the import found one still
        being written: "file changed while being read")."""
        for path in paths:
            self._seen.discard(path)
        if paths and self.folder is not None:
            self._settle.start()

    def scan(self) -> None:
        """Report files that are new and finished growing since the last scan."""
        listing = self._listing()
        ready = []
        for path, signature in listing.items():
            if path in self._seen:
                continue
            if signature[0] > 0 and self._growing.get(path) == signature:
                ready.append(path)
                self._seen.add(path)
                self._growing.pop(path, None)
            else:
                self._growing[path] = signature
        if any(p not in self._seen for p in self._growing):
            self._settle.start()
        if ready:
            emit(self.newFiles, sorted(ready))
