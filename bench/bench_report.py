"""Case report benchmark: a case of N captures (phone-screenshot PNGs, with OCR text,
Arabic on every third) written as the signed PDF/A-3b report, exactly as
``workstation report CASE -o FILE`` does (verify first, every page image decoded from
verified bytes and downscaled, text shaped, manifest and audit trail attached, signed,
audited, a timestamp queued), against a baseline run in the same process: a plain fpdf2
document with the same images, downscaled the same way, one page each with a line of
text.  Prints both times, their ratio, and the peak resident memory of this process
while the report is written (the workspace is made in a child process first).

Targets (issue 14): 1,000 captures in ≤ 2 minutes, memory flat and < 400 MB.

    .venv/bin/python bench/bench_report.py                  # 200 captures
    .venv/bin/python bench/bench_report.py --captures 1000
"""

from __future__ import annotations

import argparse
import io
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

PASS_ENV = "AW_BENCH_REPORT_PASSPHRASE"

_MAKE = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tests.imagegen import make_screenshot
from tests.issuer import set_issuer
from tests.core.packs.support import ARABIC_TEXT, FakeOcr
from workstation.models import CaptureMeta
from workstation.workspace import Workspace
root, n = Path(sys.argv[1]), int(sys.argv[2])
images = root / "images"
images.mkdir()
with Workspace.open(root / "ws") as ws:
    ws.keys.use_secrets(passphrase_env=sys.argv[4], backend="file")
    set_issuer(ws)
    ws.keys.init()
    for i in range(n):
        path = images / f"s{i}.png"
        path.write_bytes(make_screenshot(width=720, height=1560, seed=i, text=f"boat {i}"))
        cid = ws.intake.import_file(path, CaptureMeta(
            source_url=f"https://www.tiktok.com/@boats{i % 50}/video/{7000 + i}",
            case="bench", notes=f"WhatsApp +44 7700 9{i % 1000:05d}")).id
        text = (ARABIC_TEXT if i % 3 == 0
                else f"Safe crossing to the UK {i}\nCall +44 7700 900{i % 1000:03d}")
        ws.reading._store_ocr(cid, FakeOcr(text, ("ara", "eng")))
        path.unlink()
"""


def make_workspace(root: Path, n: int) -> None:
    start = time.perf_counter()
    env = {**os.environ, PASS_ENV: "bench passphrase", "WORKSTATION_SECRET_BACKEND": "file",
           "WORKSTATION_ANALYST": "Bench Analyst"}
    subprocess.run([sys.executable, "-c", _MAKE, str(root), str(n), str(ROOT), PASS_ENV],
                   check=True, env=env)
    print(f"setup: {n} captures imported in {time.perf_counter() - start:.0f} s (child process)")


def baseline(ws: object, out: Path) -> float:
    """A plain fpdf2 document with the same images (read, downscaled), no shaping."""
    from fpdf import FPDF

    from workstation.report.model import page_image

    start = time.perf_counter()
    pdf = FPDF()
    pdf.add_font("NotoSans", "", "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
    for capture in ws.captures.all(case="bench"):  # type: ignore[attr-defined]
        data = ws.ctx.store.read_verified(capture.sha256)  # type: ignore[attr-defined]
        jpeg, _w, _h = page_image(data)
        pdf.add_page()
        pdf.set_font("NotoSans", "", 9)
        pdf.cell(0, 5, f"capture #{capture.id} SHA-256 {capture.sha256}")
        pdf.ln(6)
        pdf.image(io.BytesIO(jpeg), w=60)
    out.write_bytes(pdf.output())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captures", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aw-bench-report-"))
    os.environ.setdefault("WORKSTATION_ANCHOR_DIR", str(work / "anchors"))
    try:
        make_workspace(work, args.captures)
        os.environ.update({PASS_ENV: "bench passphrase", "WORKSTATION_SECRET_BACKEND": "file",
                           "WORKSTATION_ANALYST": "Bench Analyst"})
        from workstation.workspace import Workspace

        with Workspace.open(work / "ws") as ws:
            ws.keys.use_secrets(passphrase_env=PASS_ENV, backend="file")
            ws.keys.signing_key()  # unlock (scrypt) outside the timed run
            base = baseline(ws, work / "baseline.pdf")
            reset_peak()
            before = rss_mb()
            with RssSampler() as sampler:
                start = time.perf_counter()
                result = ws.report.build("bench", work / "report.pdf")
                elapsed = time.perf_counter() - start
            peak = peak_mb()
        print(f"{cpu_note()}; {args.captures} captures")
        print(f"baseline  plain fpdf2, same images downscaled: {base:7.2f} s  "
              f"({(work / 'baseline.pdf').stat().st_size / 1e6:.1f} MB)")
        print(f"workstation report (verify, PDF/A-3b, shaped text, attachments, signed): "
              f"{elapsed:7.2f} s  ({result.size / 1e6:.1f} MB)")
        print(f"ratio report / baseline: {elapsed / base:.2f}; target ≤ 120 s for 1,000 "
              f"captures (this run scales to {elapsed * 1000 / args.captures:.0f} s)")
        samples = ", ".join(f"{v:.0f}" for v in sampler.at_fractions())
        print(f"memory: RSS before {before:.0f} MB; at 10/50/90 %: {samples} MB; "
              f"peak {peak:.0f} MB  (target < 400 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
