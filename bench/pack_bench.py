"""Alert pack benchmark: seal ~1 GB of evidence and compare with the ``age`` CLI.

Generates incompressible, image-like evidence (real JPEGs of random noise, so
the pack stores them as they are), imports them into a temporary workspace (in
a child process, so its memory does not count here), then in this process:

1. seals one pack of all of them exactly as ``workstation pack build -o FILE``
   does — manifest, report with previews, STIX, evidence verified against its
   SHA-256 while it streams through ZIP -> age into the outbox (sealed once),
   SHA256SUMS signed, then the ``-o`` file made a copy of it (a reflink or hard
   link: the same file system, so nothing is written twice) — timing it and
   sampling memory;
2. decrypts the pack to get the very same plaintext ZIP, and times
   ``age -r RECIPIENT -o OUT`` encrypting those bytes.

Prints both throughputs, their ratio (target >= 0.5) and the peak resident
memory of this process during the seal (target < 300 MB).  Both are run
``--rounds`` times, alternately (seal then age, age then seal, ...), and the
median ratio is the figure.  Every timed run starts after ``os.sync()``, so that
no earlier run's write-back lands in its time (the plaintext just decrypted used
to slow the age run down by 3x).  A sealed pack is fsync'd (the outbox's file,
and the folder of the ``-o`` link); the age CLI does not fsync, so its time is taken
both to its exit (its output may still be in the page cache) and to its output
being on disk: the target ratio compares like with like, on disk; the other is
printed too.

On this project's virtual machines the first write into never-touched guest
memory is slow (the host faults it in), so whichever side writes into fresh page
cache loses: a warm-up round runs first, uncounted, and each round's outbox copy
is deleted again, so that both sides write into memory the previous round freed.

    .venv/bin/python bench/pack_bench.py                 # about 1 GB
    .venv/bin/python bench/pack_bench.py --size-mb 200
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RssSampler, cpu_note, peak_mb, reset_peak, rss_mb  # noqa: E402

MB = 1_000_000

#: A fictional issuer identity (sealing is refused until one is set).
BENCH_ISSUER = {"agency_name": "Bench Police Service", "issuing_unit": "Benchmark Unit",
                "contact_24x7_name": "Bench Control Room",
                "contact_24x7_phone": "+442079460000",
                "contact_24x7_email": "control@bench.example",
                "reply_to": "outcomes@bench.example"}


def written_bytes() -> int:
    """Bytes this process sent to the storage layer, net of what was deleted before
    being written back (Linux ``/proc/self/io``; 0 where it is not counted)."""
    try:
        fields = dict(line.split(": ") for line in
                      Path("/proc/self/io").read_text().splitlines())
        return int(fields["write_bytes"]) - int(fields["cancelled_write_bytes"])
    except (OSError, ValueError, KeyError):
        return 0


def generate(folder: Path, size_mb: int, file_mb: float) -> None:
    """Noise JPEGs (quality 95: about 3 bytes a pixel, incompressible) in a child process."""
    code = (
        "import io, math, os, sys\n"
        "from pathlib import Path\n"
        "from PIL import Image\n"
        "folder, total, each = Path(sys.argv[1]), int(sys.argv[2]) * 10**6, "
        "float(sys.argv[3]) * 10**6\n"
        "folder.mkdir(parents=True, exist_ok=True)\n"
        "side = int(math.sqrt(each / 3.1))\n"
        "done, i = 0, 0\n"
        "while done < total:\n"
        "    img = Image.frombytes('RGB', (side, side), os.urandom(side * side * 3))\n"
        "    buf = io.BytesIO(); img.save(buf, 'JPEG', quality=95)\n"
        "    (folder / f'noise{i:04}.jpg').write_bytes(buf.getvalue())\n"
        "    done += buf.tell(); i += 1\n"
    )
    subprocess.run([sys.executable, "-c", code, str(folder), str(size_mb), str(file_mb)],
                   cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1000, help="evidence size in MB (1000)")
    parser.add_argument("--file-mb", type=float, default=12.0, help="size of each file (12 MB)")
    parser.add_argument("--dir", type=Path, default=None, help="working folder (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the files")
    parser.add_argument("--rounds", type=int, default=3, help="seal/age pairs to run (3)")
    parser.add_argument("--profile", action="store_true",
                        help="after the rounds, profile one more seal (cProfile, top 30)")
    args = parser.parse_args()
    age = shutil.which("age")
    if age is None:
        print("the age CLI is not installed (apt install age)")
        return 1

    work = Path(tempfile.mkdtemp(prefix="pack-bench-", dir=args.dir))
    env = {**os.environ, "BENCH_PASSPHRASE": "bench passphrase",
           "WORKSTATION_SECRET_BACKEND": "file"}
    os.environ.update(env)
    try:
        src, ws_dir = work / "src", work / "ws"
        t = time.perf_counter()
        generate(src, args.size_mb, args.file_mb)
        print(f"generated {sum(p.stat().st_size for p in src.iterdir()) / MB:.0f} MB in "
              f"{len(list(src.iterdir()))} files ({time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli", "--workspace", str(ws_dir),
                        "import", str(src)], cwd=ROOT, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(src)
        print(f"imported into a workspace in {time.perf_counter() - t:.1f} s")

        import pyrage

        from workstation.crypto.age import decrypt_file
        from workstation.workspace import Workspace

        contact_identity = pyrage.x25519.Identity.generate()
        recipient = str(contact_identity.to_public())
        with Workspace.open(ws_dir) as ws:
            ws.keys.use_secrets(passphrase_env="BENCH_PASSPHRASE")
            for key, value in BENCH_ISSUER.items():  # required before sealing
                ws.set_setting(key, value)
            ws.keys.init()
            contact = ws.contacts.add("other", "Bench contact", "bench@example.org", [recipient])
            for c in ws.captures.all():  # a platform must be able to find each item
                if not c.source_url:
                    ws.captures.edit(c.id, source_url=f"https://www.facebook.com/ads/{c.id}")
            ids = [c.id for c in ws.captures.all()]
            evidence = sum(c.size for c in ws.captures.all())
            ws.keys.signing_key()  # unlock (scrypt) before timing, as the CLI does before sealing
            out = work / "out.alertpack.age"
            plain = work / "plain.zip"
            cli_out = work / "cli.age"
            rss_before = rss_mb()
            reset_peak()
            peak = 0.0
            ratios: list[float] = []
            age_cache: list[float] = []
            ours_all: list[float] = []
            # CPU seconds (all threads) of each seal and of each age run: on a shared
            # machine the wall times follow what the neighbours do, these much less.
            cpu_ours: list[float] = []
            cpu_age: list[float] = []

            def seal() -> float:
                nonlocal peak
                out.unlink(missing_ok=True)
                os.sync()  # no earlier run's write-back in this one's time
                written = written_bytes()
                with RssSampler(0.05) as sampler:
                    cpu = time.process_time()
                    t = time.perf_counter()
                    pack = ws.packs.build(contact.id, ids, reason="benchmark", output=out)
                    seconds = time.perf_counter() - t
                    cpu = time.process_time() - cpu
                cpu_ours.append(cpu)
                os.sync()  # after the timing: what the seal left to write back counts too
                written = written_bytes() - written
                peak = max(peak, peak_mb(), max((s[1] for s in sampler.samples), default=0.0))
                if not plain.exists():
                    decrypt_file(out, plain, [contact_identity])
                sealed = ws.packs.file(pack.ref)
                how = ("hard link" if sealed.stat().st_ino == out.stat().st_ino
                       else "reflink or copy")
                # The outbox's file goes again (in this throw-away workspace only): each
                # round then writes into memory the last one freed, as the age CLI's
                # overwritten output does (see the module docstring).
                sealed.unlink()
                size = out.stat().st_size
                print(f"  sealed {pack.ref}: {len(ids)} items, {evidence / MB:.0f} MB of evidence "
                      f"-> {size / MB:.0f} MB pack in {seconds:.2f} s = "
                      f"{evidence / MB / seconds:.0f} MB/s, {cpu:.2f} CPU s (sealed once; -o "
                      f"is a {how}; disk "
                      f"written {written / MB:.0f} MB = {written / size:.2f}x the pack)")
                return evidence / MB / seconds

            def age_cli() -> float:
                cli_out.unlink(missing_ok=True)
                os.sync()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                subprocess.run([age, "-r", recipient, "-o", str(cli_out), str(plain)], check=True)
                seconds = time.perf_counter() - t
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu_age.append(after.ru_utime + after.ru_stime - before.ru_utime
                               - before.ru_stime)
                fd = os.open(cli_out, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                synced = time.perf_counter() - t
                mb = plain.stat().st_size / MB
                age_cache.append(mb / seconds)
                print(f"  age CLI: {mb:.0f} MB in {seconds:.2f} s = {mb / seconds:.0f} MB/s, "
                      f"{cpu_age[-1]:.2f} CPU s; "
                      f"with its output fsync'd {synced:.2f} s = {mb / synced:.0f} MB/s")
                return mb / synced

            print("  warm-up round (not counted):")
            seal()
            age_cli()
            age_cache.clear()
            cpu_ours.clear()
            cpu_age.clear()
            for n in range(args.rounds):
                if n % 2 == 0:
                    ours = seal()
                    theirs = age_cli()
                else:
                    theirs = age_cli()
                    ours = seal()
                ratios.append(ours / theirs)
                ours_all.append(ours)
            if args.profile:
                import cProfile
                import pstats
                profiler = cProfile.Profile()
                profiler.runcall(seal)
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats("workstation", 40)
        ratio = statistics.median(ratios)
        print(f"ratio ours/age (both on disk: age's output fsync'd, as a sealed pack is): median "
              f"{ratio:.2f} of {len(ratios)} rounds ({', '.join(f'{r:.2f}' for r in ratios)}) "
              f"(target >= 0.5) {'OK' if ratio >= 0.5 else 'BELOW'}")
        print(f"ratio ours/age with age's output left in the page cache: median "
              f"{statistics.median(o / a for o, a in zip(ours_all, age_cache, strict=True)):.2f}")
        print(f"CPU time ours/age (seconds of CPU per run, medians): "
              f"{statistics.median(cpu_ours):.2f} / {statistics.median(cpu_age):.2f}; age's CPU "
              f"over ours {statistics.median(cpu_age) / statistics.median(cpu_ours):.2f} "
              f"(the wall-time ratio were each given one core of its own; the seal's "
              f"threads bring its wall time below its CPU time where cores are free)")
        print(f"memory: RSS before seal {rss_before:.0f} MB, peak during seal {peak:.0f} MB "
              f"(target < 300 MB) {'OK' if peak < 300 else 'ABOVE'}; {cpu_note()}")
        if math.isnan(ratio):
            return 1
    finally:
        if args.keep:
            print(f"files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
