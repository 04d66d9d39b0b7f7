"""Import benchmark: N generated 1080×2340 PNG phone screenshots.

Prints the import time, and in the same process the time for just SHA-256 +
a Pillow thumbnail of the same files (the baseline), their ratio (target
≤ 1.3), and peak memory during the import (target: flat, under 200 MB).

The two are interleaved in rounds of ``--round`` files (the baseline of a round's
files, then their import), so that a machine that slows down or speeds up during
the run — a virtual machine does, by 10-20 % over minutes — moves both alike;
the spread of the per-round ratios is printed too.

    .venv/bin/python bench/import_bench.py [--count 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RssSampler, cpu_note, peak_mb, reset_peak, rss_mb  # noqa: E402


def generate(folder: Path, count: int) -> None:
    """Generate screenshots in a child process so its memory does not count here."""
    code = (
        "import sys; from pathlib import Path; from tests.imagegen import make_screenshot\n"
        "folder = Path(sys.argv[1]); n = int(sys.argv[2])\n"
        "folder.mkdir(parents=True, exist_ok=True)\n"
        "for i in range(n):\n"
        "    p = folder / f'shot{i:05}.png'\n"
        "    if not p.exists():\n"
        "        p.write_bytes(make_screenshot(seed=10_000 + i, text=f'advert {i}'))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(folder), str(count)], cwd=ROOT, check=True)


def baseline(files: list[Path]) -> float:
    from PIL import Image

    start = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as im:
            im.thumbnail((320, 320))
            im.convert("RGB").save(io.BytesIO(), "JPEG", quality=82)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--round", type=int, default=100, metavar="N",
                        help="files per round of baseline-then-import")
    parser.add_argument("--images", type=Path, default=None,
                        help="folder to cache generated images (default: a temp folder)")
    args = parser.parse_args()

    from workstation.workspace import Workspace

    images = args.images or Path(tempfile.gettempdir()) / f"aw-bench-import2-{args.count}"
    t0 = time.perf_counter()
    generate(images, args.count)
    files = sorted(images.glob("shot*.png"))[: args.count]
    total_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"{len(files)} PNG screenshots 1080×2340, {total_mb:.0f} MB "
          f"(generated/cached in {time.perf_counter() - t0:.1f} s); {cpu_note()}")

    baseline(files[:20])  # warm the page cache and Pillow's plugins
    rounds = [files[i:i + args.round] for i in range(0, len(files), args.round)]
    base = elapsed = 0.0
    ratios = []
    imported = 0
    workdir = Path(tempfile.mkdtemp(prefix="aw-bench-ws-"))
    try:
        with Workspace.open(workdir / "ws") as ws:
            reset_peak()
            before = rss_mb()
            with RssSampler() as sampler:
                for chunk in rounds:
                    b = baseline(chunk)
                    start = time.perf_counter()
                    results = list(ws.intake.import_paths(chunk))
                    e = time.perf_counter() - start
                    imported += sum(r.status == "imported" for r in results)
                    base, elapsed = base + b, elapsed + e
                    ratios.append(e / b)
            peak = peak_mb()
        print(f"baseline  SHA-256 + Pillow thumbnail: {base:7.2f} s  "
              f"({len(files) / base:6.1f} files/s)")
        print(f"workstation import (hash, copy+fsync, decode check, thumbnail, DB+audit): "
              f"{elapsed:7.2f} s  ({len(files) / elapsed:6.1f} files/s), {imported} imported")
        print(f"ratio import / baseline: {elapsed / base:.2f}  (target ≤ 1.3); per round of "
              f"{args.round}: {min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} rounds")
        samples = ", ".join(f"{v:.0f}" for v in sampler.at_fractions())
        print(f"memory: RSS before {before:.0f} MB; during import at 10/50/90 %: {samples} MB; "
              f"peak {peak:.0f} MB  (target flat, < 200 MB; the baseline rounds run in between)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
