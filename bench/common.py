"""Helpers shared by the benchmarks: memory readings and timing."""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; falls back to peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter for this process (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples RSS every ``interval`` seconds in a thread, to show memory stays flat."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.perf_counter()
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - start, rss_mb()))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def at_fractions(self, fractions: tuple[float, ...] = (0.1, 0.5, 0.9)) -> list[float]:
        if not self.samples:
            return []
        return [self.samples[min(len(self.samples) - 1, int(f * len(self.samples)))][1]
                for f in fractions]


def cpu_note() -> str:
    return f"{os.cpu_count()} CPUs"
