"""Benchmark: stream a large evidence file through ZIP -> age -> minisign, with flat memory.

Generates a file of random bytes (default 1 GiB), then in one process:

1. baseline: SHA-256 of the file (1 MiB reads) — the fastest any pass over the
   file can be;
2. pack: ZipPackWriter (stored, evidence SHA-256 checked while packing) written
   straight into EncryptingWriter (age, X25519) whose output is hashed on the
   fly (SHA-256 for ``sha256sum``, BLAKE2b-512 for minisign) and then signed —
   no plaintext ZIP ever touches the disk and the file is read once.

It prints throughput, the ratio to the baseline, and the peak resident memory
(``ru_maxrss`` and a 20 ms /proc sampler during the pack), optionally the
tracemalloc peak of Python allocations.  With ``--verify`` the result is
checked with the real ``minisign``, ``age`` and ``sha256sum`` CLIs.

Usage::

    .venv/bin/python bench/pack_stream_bench.py              # 1 GiB
    .venv/bin/python bench/pack_stream_bench.py --size-mb 200 --verify
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyrage

from workstation.crypto import signing
from workstation.crypto.age import EncryptingWriter, HashingWriter
from workstation.packs.format.safezip import ZipPackWriter

MiB = 1 << 20


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return 0.0


def maxrss_mb() -> float:
    """Peak RSS of the process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


class RssSampler:
    """Samples RSS in a background thread; ``peak`` is the highest seen."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def generate(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            # Vary each block cheaply so nothing downstream can dedupe it.
            n = min(left, MiB)
            fh.write(hashlib.sha256(left.to_bytes(8, "little")).digest() + block[32:n])
            left -= n


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MiB):
            h.update(chunk)
    return h.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="input size in MiB (1024)")
    parser.add_argument("--dir", type=Path, default=None, help="working folder (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--verify", action="store_true", help="check with the real CLIs")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report Python allocation peak (slower)"
    )
    args = parser.parse_args()

    size = args.size_mb * MiB
    workdir = Path(tempfile.mkdtemp(prefix="pack-bench-", dir=args.dir))
    try:
        src = workdir / "evidence.bin"
        t = time.perf_counter()
        generate(src, size)
        print(f"generated {size / MiB:.0f} MiB in {time.perf_counter() - t:.1f} s ({src})")
        rss_start = rss_mb()

        t = time.perf_counter()
        expected = sha256_file(src)
        base_s = time.perf_counter() - t
        base_mbs = size / 1e6 / base_s
        print(f"baseline sha256: {base_s:.2f} s, {base_mbs:.0f} MB/s")

        identity = pyrage.x25519.Identity.generate()
        recipient = str(identity.to_public())
        key = signing.generate_key()
        out = workdir / "pack.zip.age"
        maxrss_before = maxrss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        sha_out = hashlib.sha256()
        blake_out = signing.minisign_hasher()
        t = time.perf_counter()
        with RssSampler() as sampler:
            with (
                open(out, "wb") as raw,
                EncryptingWriter(HashingWriter(raw, sha_out, blake_out), [recipient]) as enc,
                ZipPackWriter(enc, compression="stored") as zw,
            ):
                zw.add_file(src, "evidence/evidence.bin", expected_sha256=expected)
                zw.add_bytes("SHA256SUMS", zw.sha256sum_manifest().encode())
            sig = signing.sign_digest(key, blake_out.digest(), "timestamp:0\tfile:pack.zip.age")
        pack_s = time.perf_counter() - t
        py_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        if args.tracemalloc:
            tracemalloc.stop()
        Path(f"{out}.minisig").write_text(sig)
        (workdir / "agency.pub").write_text(key.public_key_minisign())
        Path(f"{out}.sha256").write_text(f"{sha_out.hexdigest()}  {out.name}\n")

        pack_mbs = size / 1e6 / pack_s
        print(
            f"zip -> age -> hash+sign: {pack_s:.2f} s, {pack_mbs:.0f} MB/s "
            f"(output {out.stat().st_size / MiB:.0f} MiB)"
        )
        print(f"ratio pack/baseline time: {pack_s / base_s:.2f}x")
        print(
            f"RSS: at start {rss_start:.1f} MB, peak during pack {sampler.peak:.1f} MB, "
            f"ru_maxrss before pack {maxrss_before:.1f} MB, after {maxrss_mb():.1f} MB"
        )
        if py_peak is not None:
            print(f"tracemalloc peak of Python allocations during pack: {py_peak / 1e6:.2f} MB")

        if args.verify:
            ident_file = workdir / "contact.key"
            ident_file.write_text(f"{identity}\n")
            ident_file.chmod(0o600)
            checks = [
                ["minisign", "-Vm", str(out), "-p", str(workdir / "agency.pub")],
                ["sha256sum", "-c", f"{out.name}.sha256"],
                ["age", "-d", "-i", str(ident_file), "-o", os.devnull, str(out)],
            ]
            for argv in checks:
                if shutil.which(argv[0]) is None:
                    print(f"verify: {argv[0]} not installed, skipped")
                    continue
                t = time.perf_counter()
                result = subprocess.run(argv, cwd=workdir, capture_output=True, text=True)
                status = "OK" if result.returncode == 0 else f"FAILED: {result.stderr.strip()}"
                print(f"verify: {argv[0]}: {status} ({time.perf_counter() - t:.1f} s)")
                if result.returncode != 0:
                    return 1
    finally:
        if args.keep:
            print(f"files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
