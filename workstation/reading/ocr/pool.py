"""OCR in parallel worker processes: :class:`OcrPool`.

Each worker is a ``spawn``-ed process (safe with Qt and threads in the
parent) that sets ``OMP_THREAD_LIMIT=1`` before anything imports tesserocr,
then keeps one :class:`~workstation.reading.ocr.engine.OcrEngine` whose loaded language
sets are reused for every image it gets.  The parent also sets the variable
while it starts workers, so the setting is there from the process's birth.

The parent hands one item at a time to each idle worker over a pipe and
yields results in completion order.  A bad image comes back as an error for
that item; a worker that crashes or runs past ``item_timeout_s`` is killed
and replaced, and its item gets an :class:`~workstation.reading.ocr.errors.OcrFailed`.
Cancelling stops handing out work, yields what has already finished,
terminates the workers and raises :class:`~workstation.errors.Cancelled`.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from workstation.errors import Cancelled, WorkstationError
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.ocr.config import OcrConfig
from workstation.reading.ocr.engine import ImageSource
from workstation.reading.ocr.errors import OcrFailed
from workstation.reading.ocr.result import OcrResult

K = TypeVar("K")

#: How often (seconds) the parent looks at the cancel token while waiting.
POLL_S = 0.05


def _init_worker() -> None:
    """Worker initializer: limit OpenMP before tesserocr can be imported; leave Ctrl-C
    to the parent."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    with suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_main(conn: Connection, config: OcrConfig) -> None:
    """Worker loop: receive ``(task_id, source, lang)``, send ``(task_id, result, error)``."""
    _init_worker()
    from workstation.reading.ocr.engine import OcrEngine  # after the environment is set

    engine = OcrEngine(config)
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            task_id, source, lang = message
            result: OcrResult | None = None
            error: WorkstationError | None = None
            try:
                result = engine.ocr(source, lang)
            except WorkstationError as exc:
                error = exc
            except Exception as exc:
                error = OcrFailed(f"OCR failed on this image: {type(exc).__name__}: {exc}")
            try:
                conn.send((task_id, result, error))
            except (BrokenPipeError, OSError):
                break
            except Exception as exc:  # an unpicklable error: send its text instead
                conn.send((task_id, None, OcrFailed(f"OCR failed on this image: {exc}")))
    finally:
        engine.close()


@contextmanager
def _omp_limited() -> Iterator[None]:
    old = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = old


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: tuple[int, Any] | None = None  # (task_id, key)
    started: float = 0.0


class _Feed:
    """The items not yet handed to a worker, given out one at a time."""

    def __init__(self, pending: Iterator[tuple[Any, ImageSource, str]],
                 ids: Iterator[int], cancel: CancelToken | None) -> None:
        self._pending = pending
        self._ids = ids
        self._cancel = cancel
        self.exhausted = False

    def assign(self, worker: _Worker) -> bool:
        """Send the next item to an idle ``worker``; ``False`` when there is none to send
        (the stream has run dry, or the work is cancelled)."""
        if self.exhausted or (self._cancel is not None and self._cancel.cancelled):
            return False
        try:
            key, source, lang = next(self._pending)
        except StopIteration:
            self.exhausted = True
            return False
        task_id = next(self._ids)
        source = os.fspath(source) if isinstance(source, os.PathLike) else source
        worker.task = (task_id, key)
        worker.started = time.monotonic()
        with suppress(BrokenPipeError, OSError):  # a dead worker: its sentinel tells
            worker.conn.send((task_id, source, lang))
        return True


#: The most worker processes a pool starts, whatever it is asked for: the ``ocr_jobs``
#: setting's maximum (workstation/settings.py; a test keeps them equal).
MAX_JOBS = 64


class OcrPool:
    """A pool of ``jobs`` OCR worker processes (default: one per CPU core).

    Workers start on first use and stay up between :meth:`map` calls, so their
    loaded languages are reused; :meth:`close` (or leaving a ``with`` block)
    stops them.  Use one pool from one thread at a time.
    """

    def __init__(self, jobs: int | None = None, config: OcrConfig | None = None, *,
                 item_timeout_s: float | None = 600.0, start_method: str = "spawn") -> None:
        self.jobs = min(MAX_JOBS, max(1, jobs or os.cpu_count() or 1))
        self.config = config or OcrConfig()
        self.item_timeout_s = item_timeout_s
        if start_method not in ("spawn", "forkserver"):
            raise ValueError("start_method must be 'spawn' or 'forkserver'")
        self._ctx: Any = mp.get_context(start_method)
        self._workers: list[_Worker] = []
        self._ids = itertools.count(1)

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workers ----------------------------------------------------------------

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child, self.config),
                                    name="workstation-ocr", daemon=True)
        with _omp_limited():
            process.start()
        child.close()
        return _Worker(process, parent)

    def _kill(self, worker: _Worker) -> None:
        with suppress(Exception):
            worker.conn.close()
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(2)
        with suppress(Exception):
            worker.process.close()

    def _ensure_workers(self, wanted: int) -> None:
        self._workers = [w for w in self._workers if w.process.is_alive()]
        while len(self._workers) < wanted:
            self._workers.append(self._spawn())

    def close(self) -> None:
        """Stop the workers (idle ones politely, busy ones at once)."""
        workers, self._workers = self._workers, []
        for w in workers:
            if w.task is None:
                with suppress(Exception):
                    w.conn.send(None)
        deadline = time.monotonic() + 2
        for w in workers:
            if w.task is None:
                w.process.join(max(0.0, deadline - time.monotonic()))
            self._kill(w)

    def _terminate_all(self) -> None:
        workers, self._workers = self._workers, []
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
        for w in workers:
            self._kill(w)

    # -- work -------------------------------------------------------------------

    def map(
        self,
        items: Iterable[tuple[K, ImageSource, str]],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[tuple[K, OcrResult | WorkstationError]]:
        """OCR ``(key, path_or_image, lang)`` items; yield ``(key, result_or_error)`` as each
        finishes.  A per-image problem is yielded as its error, never raised.  Raises
        :class:`~workstation.errors.Cancelled` after yielding the finished items if
        ``cancel`` is set."""
        total = len(items) if isinstance(items, Sized) else 0
        # A batch given whole is read largest image first, so that a long screenshot
        # is not left to one worker at the end while the others sit idle (the
        # longest-first rule for scheduling on parallel workers).  A stream is read
        # in its own order.
        feed = _Feed(iter(sorted(items, key=_size_estimate, reverse=True)
                          if isinstance(items, Sequence) else items), self._ids, cancel)
        done = 0
        report(progress, 0, total, "OCR")
        try:
            if cancel is not None and cancel.cancelled:
                raise Cancelled("OCR was cancelled.")
            self._ensure_workers(self.jobs if total == 0 else min(self.jobs, total))
            for worker in self._workers:
                feed.assign(worker)
            while True:
                busy = [w for w in self._workers if w.task is not None]
                if not busy:
                    break
                if cancel is not None and cancel.cancelled:
                    yield from self._drain_finished(busy)
                    raise Cancelled("OCR was cancelled; the images already read are kept.")
                handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
                ready = set(wait(handles, timeout=POLL_S))
                now = time.monotonic()
                for worker in busy:
                    outcome = self._collect(worker, ready, now)
                    if outcome is None:
                        continue
                    done += 1
                    # Keep the workers busy while the caller handles the result.
                    for w in self._workers:
                        if w.task is None:
                            feed.assign(w)
                    report(progress, done, total, "OCR")
                    yield outcome
            if cancel is not None and cancel.cancelled and not feed.exhausted:
                raise Cancelled("OCR was cancelled; the images already read are kept.")
        finally:
            if any(w.task is not None for w in self._workers):
                # Cancelled, or the caller stopped iterating: kill unfinished work.
                self._terminate_all()

    def _collect(self, worker: _Worker, ready: set[Any],
                 now: float) -> tuple[Any, OcrResult | WorkstationError] | None:
        """A busy worker's ``(key, result_or_error)`` if it has finished, crashed or run
        out of time (a crashed or late worker is replaced); ``None`` while it works on."""
        if worker.conn in ready:
            try:
                task_id, result, error = worker.conn.recv()
            except (EOFError, OSError):
                return self._replace(worker, "the OCR worker stopped unexpectedly")
            assert worker.task is not None
            if task_id != worker.task[0]:
                return None
            key = worker.task[1]
            worker.task = None
            return key, (result if error is None else error)
        if worker.process.sentinel in ready:
            return self._replace(worker, "the OCR worker crashed on this image")
        if self.item_timeout_s is not None and now - worker.started > self.item_timeout_s:
            return self._replace(worker, f"OCR took longer than {self.item_timeout_s:g} s")
        return None

    def _replace(self, worker: _Worker, why: str) -> tuple[Any, WorkstationError]:
        assert worker.task is not None
        key = worker.task[1]
        self._kill(worker)
        index = self._workers.index(worker)
        self._workers[index] = self._spawn()
        return key, OcrFailed(f"OCR failed on this image: {why}.")

    def _drain_finished(
        self, busy: list[_Worker]
    ) -> Iterator[tuple[Any, OcrResult | WorkstationError]]:
        """Yield results already sent back by busy workers, without waiting for others."""
        for worker in busy:
            with suppress(EOFError, OSError):
                if worker.task is not None and worker.conn.poll(0):
                    task_id, result, error = worker.conn.recv()
                    if task_id == worker.task[0]:
                        key = worker.task[1]
                        worker.task = None
                        yield key, (result if error is None else error)


def _size_estimate(item: tuple[Any, ImageSource, str]) -> int:
    """How much work an item is, roughly: its pixel count, or for a file its size in
    bytes (a screenshot's PNG grows with its area and its text); 0 when unknown."""
    source = item[1]
    if isinstance(source, bytes):  # an image file's bytes (an encrypted workspace)
        return len(source)
    if isinstance(source, str | os.PathLike):
        try:
            return os.stat(source).st_size
        except OSError:
            return 0  # the worker reports the missing file
    size = getattr(source, "size", None)
    return size[0] * size[1] if isinstance(size, tuple) and len(size) == 2 else 0
