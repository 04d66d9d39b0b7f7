"""Case bundle benchmark: export ~1 GB case and import it, against ``age`` and ``import``.

Generates incompressible, decodable evidence -- PNG and JPEG images of random noise,
2-8 MB each, phone-screenshot shaped (so the bundle stores them as they are and every
import decodes each one: thumbnail, PDQ) -- and imports it into one case of workspace A
(in a child process, so its memory does not count here).  Workspaces A and B get agency
keys and know each other as colleagues (as ``tests/core/exchange/conftest.py`` makes
them).  Then, in this process (docs/case-exchange.md, the targets of the issue):

1. **export**: ``ws.exchange.export_case`` of the case for colleague B, exactly as
   ``workstation case export CASE -o FILE --to ID`` does (records gathered, CASE/UCO,
   every original checked against its SHA-256 while it streams through ZIP -> age into
   the output, SHA256SUMS signed, the file fsync'd), against ``age -r B -r A -o OUT``
   encrypting the same bytes (the evidence files concatenated into one file beforehand),
   its output fsync'd after it exits (a bundle is fsync'd too).  Target: export
   throughput >= 0.5x age's; peak resident memory of this process during the export
   < 300 MB (kernel high-water mark reset before, and a 50 ms /proc sampler, as
   ``bench/pack_bench.py`` measures it).  ``--rounds`` pairs run alternately (export
   then age, age then export, ...) after one uncounted warm-up pair; the median ratio
   is the figure.  Every timed run starts after ``os.sync()``.
2. **import**: ``ws.exchange.import_case`` of such a bundle into an empty workspace B
   (decrypt, verify whole, stage and decode every original, merge in one transaction)
   against ``ws.intake.import_paths`` of the original files into another empty
   workspace C (same case name).  Target: import_case time <= 2x import_paths's.
   ``--import-rounds`` pairs, alternating the order, each into new workspaces (the
   first imports the last timed export; each later one gets a new B, and a bundle
   exported for it untimed, as a bundle opens only with its recipients' keys).

Secrets are unlocked before the timed runs (as the CLI does before the work starts).

    .venv/bin/python bench/exchange_bench.py               # about 1 GB (1024 MB)
    .venv/bin/python bench/exchange_bench.py --mb 50       # a quick check (< 1 minute)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RssSampler, cpu_note, peak_mb, reset_peak, rss_mb  # noqa: E402

MB = 1_000_000
CASE = "Op Bench"
PASS_ENV = "AW_BENCH_EXCHANGE_PASSPHRASE"

#: Noise images in a child process: sizes drawn between ``lo`` and ``hi`` MB (seeded),
#: every third a PNG (zlib level 1: noise does not compress), the rest JPEG quality 95;
#: 9:19.5 portrait like a phone screenshot; the bytes per pixel of each format are
#: learnt as it goes, so the files come out near the size drawn.
_GENERATE = r"""
import io, math, os, random, sys
from pathlib import Path
from PIL import Image
folder, total = Path(sys.argv[1]), int(sys.argv[2]) * 10**6
lo, hi = float(sys.argv[3]) * 10**6, float(sys.argv[4]) * 10**6
folder.mkdir(parents=True, exist_ok=True)
rng = random.Random(20260101)
bpp = {"PNG": 3.0, "JPEG": 1.2}
done = i = 0
while done < total:
    fmt = "PNG" if i % 3 == 0 else "JPEG"
    want = min(rng.uniform(lo, hi), max(total - done, lo))
    height = int(math.sqrt(want / bpp[fmt] * 19.5 / 9))
    width = max(64, int(want / bpp[fmt] / height))
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buf = io.BytesIO()
    if fmt == "PNG":
        img.save(buf, "PNG", compress_level=1)
    else:
        img.save(buf, "JPEG", quality=95)
    size = buf.tell()
    bpp[fmt] = size / (width * height)
    ext = "png" if fmt == "PNG" else "jpg"
    (folder / f"advert{i:04}.{ext}").write_bytes(buf.getvalue())
    done += size
    i += 1
"""


def generate(folder: Path, size_mb: int, lo_mb: float, hi_mb: float) -> None:
    subprocess.run([sys.executable, "-c", _GENERATE, str(folder), str(size_mb), str(lo_mb),
                    str(hi_mb)], cwd=ROOT, check=True)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def concatenate(files: list[Path], out: Path) -> None:
    with open(out, "wb") as dst:
        for path in files:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
    fsync_file(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=1024, help="evidence size in MB (1024)")
    parser.add_argument("--min-file-mb", type=float, default=2.0, help="smallest file (2 MB)")
    parser.add_argument("--max-file-mb", type=float, default=8.0, help="largest file (8 MB)")
    parser.add_argument("--rounds", type=int, default=3, help="export/age pairs (3)")
    parser.add_argument("--import-rounds", type=int, default=1,
                        help="import_case/import_paths pairs, each into new workspaces (1; 0: "
                             "export only)")
    parser.add_argument("--dir", type=Path, default=None, help="working folder (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the files")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, profile one more export and one more import_case "
                             "(cProfile, top 30 by own time, workstation's by cumulative)")
    args = parser.parse_args()
    age = shutil.which("age")
    if age is None:
        print("the age CLI is not installed (apt install age)")
        return 1

    work = Path(tempfile.mkdtemp(prefix="exchange-bench-", dir=args.dir))
    os.environ.update({PASS_ENV: "bench passphrase", "WORKSTATION_SECRET_BACKEND": "file",
                       "WORKSTATION_ANCHOR_DIR": str(work / "anchors")})
    os.environ.pop("WORKSTATION_ANALYST", None)  # each workspace its own (setting)
    try:
        return run(args, age, work)
    finally:
        if args.keep:
            print(f"files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, age: str, work: Path) -> int:
    src = work / "src"
    t = time.perf_counter()
    generate(src, args.mb, args.min_file_mb, args.max_file_mb)
    files = sorted(src.iterdir())
    evidence = sum(p.stat().st_size for p in files)
    pngs = sum(p.suffix == ".png" for p in files)
    print(f"generated {evidence / MB:.0f} MB in {len(files)} files ({pngs} PNG, "
          f"{len(files) - pngs} JPEG, {min(p.stat().st_size for p in files) / MB:.1f}-"
          f"{max(p.stat().st_size for p in files) / MB:.1f} MB each) in "
          f"{time.perf_counter() - t:.1f} s; {cpu_note()}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", "--workspace", str(work / "a"), "import",
                    "--case", CASE, str(src)], cwd=ROOT, check=True,
                   env={**os.environ, "WORKSTATION_ANALYST": "Alice Bench"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"imported into workspace A (child process) in {time.perf_counter() - t:.1f} s")
    plain = work / "plain.bin"
    concatenate(files, plain)

    from workstation.workspace import Workspace

    with contextlib.ExitStack() as stack:
        def keyed(path: Path, analyst: str, into: contextlib.ExitStack) -> Workspace:
            ws = into.enter_context(Workspace.open(path))
            ws.keys.use_secrets(passphrase_env=PASS_ENV)
            ws.set_setting("analyst", analyst)
            ws.keys.init()
            return ws

        def introduce(ws: Workspace, other: Workspace, name: str) -> int:
            return ws.colleagues.add(name, other.keys.archive_recipient(),
                                     other.keys.export_public_key()).id

        alice = keyed(work / "a", "Alice Bench", stack)
        # B of the first import round: the timed exports are addressed to it, so the
        # last one's bundle is what it imports (later rounds make their own B and bundle).
        bob = keyed(work / "b0", "Bob Bench", stack)
        bob_id = introduce(alice, bob, "Bob Bench")
        introduce(bob, alice, "Alice Bench")
        bob.keys.archive_identity()  # unlocked before timing
        recipients = [bob.keys.archive_recipient(), alice.keys.archive_recipient()]
        count = len(alice.captures.all(case=CASE))
        assert count == len(files), f"{count} captures in workspace A, {len(files)} files"
        alice.keys.signing_key()  # unlocked before timing, as the CLI does first
        bundle = work / "bench.casebundle.age"
        cli_out = work / "cli.age"

        peak = 0.0
        rss_before = rss_mb()
        reset_peak()
        ratios: list[float] = []
        ours_all: list[float] = []
        age_cache: list[float] = []
        cpu_ours: list[float] = []
        cpu_age: list[float] = []
        sizes: list[int] = []
        progress_calls = 0

        def progress(_p: Any) -> None:
            nonlocal progress_calls
            progress_calls += 1

        def export() -> float:
            nonlocal peak
            bundle.unlink(missing_ok=True)
            os.sync()
            with RssSampler(0.05) as sampler:
                cpu = time.process_time()
                t = time.perf_counter()
                result = alice.exchange.export_case(CASE, bundle, [bob_id], progress=progress)
                seconds = time.perf_counter() - t
                cpu = time.process_time() - cpu
            cpu_ours.append(cpu)
            peak = max(peak, peak_mb(), max((s[1] for s in sampler.samples), default=0.0))
            sizes.append(result.size)
            print(f"  export: {result.captures} captures, {result.evidence_bytes / MB:.0f} MB "
                  f"of evidence -> {result.size / MB:.1f} MB bundle ({result.members} members) "
                  f"in {seconds:.2f} s = {result.evidence_bytes / MB / seconds:.0f} MB/s, "
                  f"{cpu:.2f} CPU s (fsync'd)")
            return result.evidence_bytes / MB / seconds

        def age_cli() -> float:
            cli_out.unlink(missing_ok=True)
            os.sync()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            argv = [age]
            for r in recipients:
                argv += ["-r", r]
            subprocess.run([*argv, "-o", str(cli_out), str(plain)], check=True)
            seconds = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_age.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            fsync_file(cli_out)
            synced = time.perf_counter() - t
            mb = plain.stat().st_size / MB
            age_cache.append(mb / seconds)
            print(f"  age CLI: {mb:.0f} MB in {seconds:.2f} s = {mb / seconds:.0f} MB/s, "
                  f"{cpu_age[-1]:.2f} CPU s; with its output fsync'd {synced:.2f} s = "
                  f"{mb / synced:.0f} MB/s")
            return mb / synced

        print("export vs age; warm-up pair (not counted):")
        export()
        age_cli()
        cpu_ours.clear()
        cpu_age.clear()
        age_cache.clear()
        for n in range(args.rounds):
            if n % 2 == 0:
                ours, theirs = export(), age_cli()
            else:
                theirs = age_cli()
                ours = export()
            ratios.append(ours / theirs)
            ours_all.append(ours)
        cli_out.unlink(missing_ok=True)
        plain.unlink()
        export_mbs = statistics.median(ours_all)

        # ------------------------------------------------------------------ import
        round_no = 0

        def fresh_bob(into: contextlib.ExitStack) -> tuple[Workspace, Path]:
            """An empty workspace B that knows A, and a bundle of the case for it (the
            bundle opens only with B's own key), written untimed."""
            nonlocal round_no
            round_no += 1
            ws = keyed(work / f"b{round_no}", "Bob Bench", into)
            introduce(ws, alice, "Alice Bench")
            ws.keys.archive_identity()  # unlocked before timing
            path = work / f"b{round_no}.casebundle.age"
            alice.exchange.export_case(CASE, path, [introduce(alice, ws, f"Bob {round_no}")])
            return ws, path

        def import_bundle(ws: Workspace, path: Path) -> float:
            os.sync()
            reset_peak()
            with RssSampler(0.05) as sampler:
                t = time.perf_counter()
                summary = ws.exchange.import_case(path, progress=progress)
                seconds = time.perf_counter() - t
            memory = max(peak_mb(), max((s[1] for s in sampler.samples), default=0.0))
            assert len(summary.added) == len(files), summary
            print(f"  import_case: {len(summary.added)} captures added from the "
                  f"{path.stat().st_size / MB:.1f} MB bundle in {seconds:.2f} s = "
                  f"{evidence / MB / seconds:.0f} MB/s; peak RSS {memory:.0f} MB")
            return seconds

        def import_files(ws: Workspace) -> float:
            from workstation.models import CaptureMeta

            os.sync()
            reset_peak()
            with RssSampler(0.05) as sampler:
                t = time.perf_counter()
                results = list(ws.intake.import_paths(files, CaptureMeta(case=CASE)))
                seconds = time.perf_counter() - t
            memory = max(peak_mb(), max((s[1] for s in sampler.samples), default=0.0))
            imported = sum(r.status == "imported" for r in results)
            assert imported == len(files), [r for r in results if r.status != "imported"][:3]
            print(f"  import_paths: {imported} files in {seconds:.2f} s = "
                  f"{evidence / MB / seconds:.0f} MB/s; peak RSS {memory:.0f} MB")
            return seconds

        import_ratios: list[float] = []
        case_times: list[float] = []
        path_times: list[float] = []
        # Uncounted: what the first import in a process pays once (image plugins, the
        # lexicon's patterns...) would otherwise fall on whichever side runs first.
        with Workspace.open(work / "warm") as warm:
            from workstation.models import CaptureMeta

            list(warm.intake.import_paths(files[:2], CaptureMeta(case=CASE)))
        shutil.rmtree(work / "warm", ignore_errors=True)
        print("import_case (empty workspace B) vs import_paths (empty workspace C):")
        for n in range(args.import_rounds):
            with contextlib.ExitStack() as round_stack:
                bob_n, path = (bob, bundle) if n == 0 else fresh_bob(round_stack)
                carol = round_stack.enter_context(Workspace.open(work / f"c{n}"))
                carol.set_setting("analyst", "Carol Bench")
                if n % 2 == 0:
                    ours_s, theirs_s = import_bundle(bob_n, path), import_files(carol)
                else:
                    theirs_s = import_files(carol)
                    ours_s = import_bundle(bob_n, path)
            case_times.append(ours_s)
            path_times.append(theirs_s)
            import_ratios.append(ours_s / theirs_s)
            if n > 0:  # room for the next
                shutil.rmtree(work / f"b{round_no}", ignore_errors=True)
            path.unlink()
            shutil.rmtree(work / f"c{n}", ignore_errors=True)

        if args.profile:
            import cProfile
            import pstats

            def profile(label: str, call: Callable[[], object]) -> None:
                print(f"profile of one more {label}:")
                profiler = cProfile.Profile()
                profiler.runcall(call)
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats("workstation", 40)

            profile("export", export)
            with contextlib.ExitStack() as round_stack:
                bob_p, path_p = fresh_bob(round_stack)
                profile("import_case", lambda: import_bundle(bob_p, path_p))

    ratio = statistics.median(ratios)
    print(f"export throughput: median {export_mbs:.0f} MB/s of evidence; bundle "
          f"{sizes[-1] / MB:.1f} MB for {evidence / MB:.0f} MB of evidence "
          f"({sizes[-1] / evidence:.4f}x); {progress_calls} progress reports in all")
    print(f"ratio export/age (both fsync'd): median {ratio:.2f} of {len(ratios)} rounds "
          f"({', '.join(f'{r:.2f}' for r in ratios)}) (target >= 0.5) "
          f"{'OK' if ratio >= 0.5 else 'BELOW'}")
    print(f"ratio export/age with age's output left in the page cache: median "
          f"{statistics.median(o / a for o, a in zip(ours_all, age_cache, strict=True)):.2f}")
    print(f"CPU time export/age (seconds per run, medians): {statistics.median(cpu_ours):.2f}"
          f" / {statistics.median(cpu_age):.2f}")
    print(f"memory: RSS before export {rss_before:.0f} MB, peak during export {peak:.0f} MB "
          f"(target < 300 MB) {'OK' if peak < 300 else 'ABOVE'}")
    if not import_ratios:
        print("import: not run (--import-rounds 0)")
        return 0
    import_ratio = statistics.median(import_ratios)
    case_s, path_s = statistics.median(case_times), statistics.median(path_times)
    print(f"import throughput: import_case {evidence / MB / case_s:.0f} MB/s "
          f"({case_s:.2f} s), import_paths {evidence / MB / path_s:.0f} MB/s ({path_s:.2f} s)")
    print(f"ratio import_case/import_paths time: median {import_ratio:.2f} of "
          f"{len(import_ratios)} rounds ({', '.join(f'{r:.2f}' for r in import_ratios)}) "
          f"(target <= 2) {'OK' if import_ratio <= 2 else 'ABOVE'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
