"""Encryption at rest, end to end: the same import, OCR and search on a plain and on an
encrypted workspace, through the real ``Workspace``, in the same process and run
(issue 16: at most 15 % slower).

    .venv/bin/python bench/atrest_bench.py [--images 40] [--ocr 12] [--queries 200]

Each round makes a fresh plain and a fresh encrypted workspace (their order alternating
between rounds) and imports the same phone-sized screenshots (``tests/imagegen.py``:
1-2 MB PNGs with text) into both; OCRs the first ``--ocr`` of them (English, the
``ocr_jobs`` default); then runs ``--queries`` searches (words and phone numbers of the
adverts).  Figures are the medians over ``--rounds`` rounds; ratios encrypted / plain.
Search on a large index is measured by ``bench/cipher_bench.py`` (SQLCipher alone).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.imagegen import make_screenshot
from workstation.workspace import Workspace

PASSPHRASE = "bench passphrase"
WORDS = ("boat", "crossing", "whatsapp", "dover", "calais", "price", "safe", "uk")


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"advert{i:03d}.png"
        text = f"Boat to UK {WORDS[i % len(WORDS)]} call +44 7700 9{i:05d}"
        path.write_bytes(make_screenshot(seed=i, text=text))
        paths.append(path)
    return paths


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def one_round(base: Path, images: list[Path], n_ocr: int, queries: int,
              encrypted: bool) -> dict[str, float]:
    root = base / ("encrypted" if encrypted else "plain")
    ws = (Workspace.create_encrypted(root, PASSPHRASE) if encrypted
          else Workspace.open(root))
    try:
        imported = timed(lambda: list(ws.intake.import_paths(images)))
        ids = [c.id for c in ws.captures.all()][:n_ocr]
        ocr = timed(lambda: list(ws.reading.run_ocr(ids, lang="eng")))
        terms = [WORDS[i % len(WORDS)] for i in range(queries)]
        search = timed(lambda: [ws.reading.search(t) for t in terms])
        verify = timed(ws.verify)
    finally:
        ws.close()
    return {"import": imported, "ocr": ocr, "search": search / queries * 1000,
            "verify": verify}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--ocr", type=int, default=12)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atrest-bench-") as tmp:
        base = Path(tmp)
        images = make_images(base / "images", args.images)
        size = sum(p.stat().st_size for p in images) / 1e6
        print(f"{args.images} screenshots ({size:.0f} MB), OCR of {args.ocr}, "
              f"{args.queries} searches; {args.rounds} rounds")
        results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for r in range(args.rounds):
            for encrypted in ((False, True) if r % 2 == 0 else (True, False)):
                results[encrypted].append(one_round(base / f"round{r}", images, args.ocr,
                                                    args.queries, encrypted))
        print(f"{'figure':<10}{'plain':>12}{'encrypted':>12}{'ratio':>8}")
        for figure, unit in (("import", "s"), ("ocr", "s"), ("search", "ms"),
                             ("verify", "s")):
            plain = statistics.median(x[figure] for x in results[False])
            enc = statistics.median(x[figure] for x in results[True])
            print(f"{figure:<10}{plain:>10.3f}{unit:<2}{enc:>10.3f}{unit:<2}"
                  f"{enc / plain:>7.2f}×")


if __name__ == "__main__":
    main()
