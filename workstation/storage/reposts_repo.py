"""SQL for the crop-proof repost hashes (migration 0005): PDQ hashes of parts of each
capture's image (``image_region_hashes``) and the MinHash sketch of its OCR text
(``text_sketches``).  What they mean is :mod:`workstation.reading.reposts`.

Finding the near-duplicates of one capture compares its few region hashes with every
other capture's, and its sketch with every other sketch: both are kept in memory
(about 7 regions of 32 bytes and one 133-byte sketch a capture: 36 MB at 100,000
captures).  Reading all the region hashes takes about 2 s at 100,000 captures, so new
captures' rows are appended to what is held, and everything is read again only when
another connection changed the database or an older capture's rows were replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from workstation.storage.sqlitelib import sqlite3

_NO_IDS = np.zeros(0, dtype=np.int64)


class RepostsRepo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # Region hashes held: ids, the hashes as 4 rows of uint64 words, qualities; the
        # data_version and largest capture id they were read at; stale: an older
        # capture's rows were written since.
        self._ids, self._quality = _NO_IDS, _NO_IDS
        self._hashes = np.zeros((4, 0), dtype=np.uint64)
        self._held: tuple[int, int] | None = None
        self._stale = False
        self._sketch_writes = 0
        self._sketches_key: tuple[int, int, int] | None = None
        self._sketch_ids, self._sketches = _NO_IDS, np.zeros((0, 0), dtype=np.uint8)

    def _data_version(self) -> int:
        """Moves when another connection commits (this one's own writes do not)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    # ------------------------------------------------------------ region hashes
    def set_regions(self, capture_id: int, regions: Iterable[tuple[int, bytes, int]]) -> None:
        """Replace a capture's region hashes with ``(region, pdq, quality)`` rows."""
        if self._held is None or capture_id <= self._held[1]:
            self._stale = True
        self.conn.execute("DELETE FROM image_region_hashes WHERE capture_id = ?", (capture_id,))
        self.conn.executemany(
            "INSERT INTO image_region_hashes (capture_id, region, pdq, quality) "
            "VALUES (?, ?, ?, ?)",
            [(capture_id, region, pdq, quality) for region, pdq, quality in regions])

    def regions(self, capture_id: int) -> list[tuple[int, bytes, int]]:
        return [(r[0], bytes(r[1]), r[2]) for r in self.conn.execute(
            "SELECT region, pdq, quality FROM image_region_hashes WHERE capture_id = ? "
            "ORDER BY region", (capture_id,))]

    def captures_with_regions(self) -> set[int]:
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT capture_id FROM image_region_hashes")}

    def _read_regions(self, after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = self.conn.execute(
            "SELECT capture_id, pdq, quality FROM image_region_hashes "
            "WHERE capture_id > ? AND length(pdq) = 32", (after,)).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        quality = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
        words = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=">u8")
        return ids, words.astype(np.uint64).reshape(-1, 4).T, quality

    def region_matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every region hash: capture ids (N), the hashes as 4 x N uint64 words (a row
        per 64 bits, compared a row at a time), qualities (N)."""
        version = self._data_version()
        newest = int(self.conn.execute(
            "SELECT coalesce(max(capture_id), 0) FROM image_region_hashes").fetchone()[0])
        held = self._held
        if held is not None and not self._stale and held[0] == version and newest >= held[1]:
            if newest > held[1]:  # captures added since: append their rows
                ids, hashes, quality = self._read_regions(held[1])
                self._ids = np.concatenate([self._ids, ids])
                self._hashes = np.ascontiguousarray(np.concatenate([self._hashes, hashes], 1))
                self._quality = np.concatenate([self._quality, quality])
        else:
            ids, hashes, quality = self._read_regions(0)
            self._ids, self._hashes, self._quality = ids, np.ascontiguousarray(hashes), quality
        # What is read inside a transaction may yet be rolled back: read it again next time.
        self._held, self._stale = (version, newest), self.conn.in_transaction
        return self._ids, self._hashes, self._quality

    def nearest_regions(self, hashes: Sequence[bytes], max_distance: int
                        ) -> dict[int, tuple[int, int]]:
        """capture id → (distance, quality) of its region hash nearest to any of
        ``hashes``, for every capture with one within ``max_distance``.  The first 64
        bits alone rule out almost every row; the rest are counted on those left."""
        ids, matrix, quality = self.region_matrix()
        best: dict[int, tuple[int, int]] = {}
        for value in hashes if len(ids) else ():
            query = np.frombuffer(value, dtype=">u8").astype(np.uint64)
            distance = np.bitwise_count(matrix[0] ^ query[0]).astype(np.uint16)
            rows = np.flatnonzero(distance <= max_distance)
            distance = distance[rows]
            for word in range(1, 4):
                distance += np.bitwise_count(matrix[word, rows] ^ query[word])
            for index, d in zip(rows[distance <= max_distance].tolist(),
                                distance[distance <= max_distance].tolist(), strict=True):
                other = int(ids[index])
                if d < best.get(other, (max_distance + 1, 0))[0]:
                    best[other] = (int(d), int(quality[index]))
        return best

    # ------------------------------------------------------------- text sketches
    def set_sketch(self, capture_id: int, sketch: bytes | None) -> None:
        """Store a capture's text sketch (None: it has no text, the row is removed)."""
        self._sketch_writes += 1
        if sketch is None:
            self.conn.execute("DELETE FROM text_sketches WHERE capture_id = ?", (capture_id,))
            return
        self.conn.execute(
            "INSERT INTO text_sketches (capture_id, sketch) VALUES (?, ?) "
            "ON CONFLICT (capture_id) DO UPDATE SET sketch = excluded.sketch",
            (capture_id, sketch))

    def sketch(self, capture_id: int) -> bytes | None:
        row = self.conn.execute(
            "SELECT sketch FROM text_sketches WHERE capture_id = ?", (capture_id,)).fetchone()
        return bytes(row[0]) if row else None

    def sketch_matrix(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Every sketch of ``size`` bytes: capture ids (N) and the sketches (N x size),
        held until a sketch is written or another connection changes the database."""
        key = (self._data_version(), self._sketch_writes, size)
        if key != self._sketches_key:
            rows = self.conn.execute(
                "SELECT capture_id, sketch FROM text_sketches WHERE length(sketch) = ?",
                (size,)).fetchall()
            self._sketch_ids = np.fromiter((r[0] for r in rows), dtype=np.int64,
                                           count=len(rows))
            self._sketches = np.frombuffer(b"".join(bytes(r[1]) for r in rows),
                                           dtype=np.uint8).reshape(-1, size)
            self._sketches_key = None if self.conn.in_transaction else key
        return self._sketch_ids, self._sketches

    def captures_read_without_sketch(self) -> list[int]:
        """Captures with an OCR run but no sketch (made before 0005)."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT capture_id FROM ocr_runs WHERE capture_id NOT IN "
            "(SELECT capture_id FROM text_sketches) ORDER BY capture_id")]
