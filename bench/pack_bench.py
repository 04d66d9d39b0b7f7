"""Alert pack benchmark: seal ~1 GB of evidence and compare with the ``age`` CLI.

Generates incompressible, image-like evidence (real JPEGs of random noise, so
the pack stores them as they are), imports them into a temporary workspace (in
a child process, so its memory does not count here), then in this process:

1. seals one pack of all of them exactly as ``workstation pack build -o FILE``
   does — manifest, report with previews, STIX, evidence verified against its
   SHA-256 while it streams through ZIP -> age into the outbox copy and the
   ``-o`` file, SHA256SUMS signed — timing it and sampling memory;
2. decrypts the pack to get the very same plaintext ZIP, and times
   ``age -r RECIPIENT -o OUT`` encrypting those bytes.

Prints both throughputs, their ratio (target >= 0.5) and the peak resident
memory of this process during the seal (target < 300 MB).

    .venv/bin/python bench/pack_bench.py                 # about 1 GB
    .venv/bin/python bench/pack_bench.py --size-mb 200
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RssSampler, cpu_note, peak_mb, reset_peak, rss_mb  # noqa: E402

MB = 1_000_000


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
        subprocess.run([sys.executable, "-m", "workstation", "--workspace", str(ws_dir),
                        "import", str(src)], cwd=ROOT, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(src)
        print(f"imported into a workspace in {time.perf_counter() - t:.1f} s")

        import pyrage

        from workstation.agecrypt import decrypt_file
        from workstation.workspace import Workspace

        contact_identity = pyrage.x25519.Identity.generate()
        recipient = str(contact_identity.to_public())
        with Workspace.open(ws_dir) as ws:
            ws.use_secrets(passphrase_env="BENCH_PASSPHRASE")
            ws.key_init()
            contact = ws.contact_add("other", "Bench contact", "bench@example.org", [recipient])
            ids = [c.id for c in ws.captures()]
            evidence = sum(c.size for c in ws.captures())
            ws._signing_key()  # unlock (scrypt) before timing, as the CLI does before sealing
            out = work / "out.alertpack.age"
            rss_before = rss_mb()
            reset_peak()
            with RssSampler(0.05) as sampler:
                t = time.perf_counter()
                pack = ws.build_pack(contact.id, ids, reason="benchmark", output=out)
                seal_s = time.perf_counter() - t
            peak = max(peak_mb(), max((s[1] for s in sampler.samples), default=0.0))
            size = out.stat().st_size
            ref = pack.ref
        ours = evidence / MB / seal_s
        print(f"sealed {ref}: {len(ids)} items, {evidence / MB:.0f} MB of evidence -> "
              f"{size / MB:.0f} MB pack in {seal_s:.2f} s = {ours:.0f} MB/s "
              f"(written twice: outbox and -o)")

        plain = work / "plain.zip"
        decrypt_file(out, plain, [contact_identity])
        cli_out = work / "cli.age"
        t = time.perf_counter()
        subprocess.run([age, "-r", recipient, "-o", str(cli_out), str(plain)], check=True)
        age_s = time.perf_counter() - t
        theirs = plain.stat().st_size / MB / age_s
        print(f"age CLI: {plain.stat().st_size / MB:.0f} MB in {age_s:.2f} s = {theirs:.0f} MB/s")
        ratio = ours / theirs
        print(f"ratio ours/age: {ratio:.2f} (target >= 0.5) {'OK' if ratio >= 0.5 else 'BELOW'}")
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
