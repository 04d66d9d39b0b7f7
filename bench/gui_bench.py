"""GUI benchmark: start-up with 10,000 captures, and GUI stalls during an OCR run.

    .venv/bin/python bench/gui_bench.py [--captures 10000] [--ocr-images 500] [--lang eng]

Prints:

1. the time to a shown main window on a workspace of ``--captures`` captures
   (target ≤ 1.5 s), measured in a fresh process from creating the
   ``QApplication`` to the gallery's first paint, plus the Python imports and
   the time until the first screen of thumbnails is loaded;
2. the GUI thread's longest stall while ``--ocr-images`` captures are OCR'd on
   the writer thread (target ≤ 50 ms): a 10 ms ``QTimer`` records the gap
   between its ticks while the main window receives the results as they land.
   The run starts once the app's start-up work is done (OCR modules imported
   in the background and the heap frozen, see ``ui/common/gcpolicy.py``).

The workspace is built once through the façade (tiny generated images, the
first ``--ocr-images`` of them small adverts with text) and cached in the temp
folder between runs (``--rebuild`` makes it again).  Qt runs offscreen unless
``QT_QPA_PLATFORM`` says otherwise.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

T_START = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADVERT_LINES = (
    "Safe crossing to the UK by boat every week",
    "Call or WhatsApp +44 7700 9{n:05d} for prices",
    "Children travel free, pay on arrival @travel{n}",
)


# ---------------------------------------------------------------- workspace
def advert_png(n: int) -> bytes:
    """A small advert with three lines of text (OCR-able in well under a second)."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
    font: Any = (ImageFont.truetype(str(font_path), 22) if font_path.exists()
                 else ImageFont.load_default())
    image = Image.new("RGB", (560, 190), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 560, 34), fill=(24, 119, 242))
    for row, line in enumerate(ADVERT_LINES):
        draw.text((16, 50 + row * 44), line.format(n=n), font=font, fill=(10, 10, 10))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build_workspace(path: Path, captures: int, adverts: int, rebuild: bool) -> None:
    """Create (or reuse) a workspace of ``captures`` captures, the first ``adverts``
    of them adverts with text."""
    from tests.imagegen import make_image
    from workstation.workspace import Workspace

    marker = path / "bench-complete.json"
    wanted = {"captures": captures, "adverts": adverts}
    if not rebuild and marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    shutil.rmtree(path, ignore_errors=True)
    start = time.perf_counter()
    with Workspace.open(path) as ws:
        ws.set_setting("analyst", "Bench Analyst")
        for i in range(captures):
            data = advert_png(i) if i < adverts else make_image(40, 72, seed=1_000_000 + i)
            result = ws.intake.import_bytes(data, method="import",
                                            original_filename=f"bench{i}.png")
            if result.status != "imported":
                raise SystemExit(f"bench image {i}: {result.message}")
            if i % 1000 == 999:
                print(f"  building the bench workspace: {i + 1} captures "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
    marker.write_text(json.dumps(wanted))
    print(f"  built {captures} captures in {time.perf_counter() - start:.0f} s (cached in {path})")


# ------------------------------------------------------------------- child
def _window(ws: Path, prefs_dir: Path) -> tuple[Any, Any, Any, dict[str, float]]:
    """Start the app and show the main window; returns app, session, window, timings."""
    t_imports = time.perf_counter()
    from PySide6.QtCore import QEvent, QObject

    from ui.app import application, launch
    from ui.common.prefs import Preferences
    from ui.common.session import Session

    imported = time.perf_counter()
    app = application([])
    t0 = time.perf_counter()
    session = Session.open(ws)
    prefs = Preferences.at(str(prefs_dir / "ui.ini"))
    painted: list[float] = []

    class FirstPaint(QObject):
        """Notes the time of the gallery's first paint."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            parent = watched.parent() if event.type() == QEvent.Type.Paint else None
            if not painted and parent is not None and parent.objectName() == "gallery":
                painted.append(time.perf_counter())
            return False

    spy = FirstPaint()
    app.installEventFilter(spy)  # the window does not exist yet: watch every paint
    window = launch(session, prefs)  # what ui.app.main does
    while not painted:
        app.processEvents()
    shown = painted[0]
    deadline = time.perf_counter() + 30
    while (window.thumbs.cached < min(20, window.proxy.rowCount())
           and time.perf_counter() < deadline):
        app.processEvents()
        time.sleep(0.002)
    thumbs = time.perf_counter()
    app.removeEventFilter(spy)
    return app, session, window, {
        "imports_s": imported - t_imports + (t_imports - T_START),
        "window_s": shown - t0,
        "thumbs_s": thumbs - t0,
        "rows": float(window.proxy.rowCount()),
    }


def child_startup(ws: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as prefs_dir:
        app, session, window, times = _window(ws, Path(prefs_dir))
        window.close()
        session.close()
        del app
    return times


def child_stall(ws: Path, count: int, lang: str) -> dict[str, Any]:
    from PySide6.QtCore import QTimer

    with tempfile.TemporaryDirectory() as prefs_dir:
        app, session, window, _times = _window(ws, Path(prefs_dir))
        ids = sorted(c.id for c in window.model.captures())[:count]
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        settle_by = time.perf_counter() + 15  # start-up work done: modules warmed, heap frozen
        while gc.get_freeze_count() == 0 and time.perf_counter() < settle_by:
            app.processEvents()
            time.sleep(0.01)
        finished: list[Any] = []
        window.ops.ocrFinished.connect(finished.append)
        window.ops.failed.connect(lambda title, msg: finished.append([msg]))
        timer.start()
        last[0] = time.perf_counter()
        start = time.perf_counter()
        window.ops.run_ocr(ids, lang=lang)
        session.tasks.busyChanged.connect(lambda busy: None if busy else app.quit())
        app.exec()
        elapsed = time.perf_counter() - start
        timer.stop()
        outcomes = finished[0] if finished else []
        window.close()
        session.close()
    ordered = sorted(gaps)
    return {
        "images": len(ids),
        "ocr_s": elapsed,
        "done": sum(getattr(o, "status", "") == "done" for o in outcomes),
        "failed": sum(getattr(o, "status", "done") != "done" for o in outcomes),
        "ticks": len(gaps),
        "max_gap_ms": ordered[-1] * 1000 if ordered else 0.0,
        "p99_gap_ms": ordered[int(len(ordered) * 0.99)] * 1000 if ordered else 0.0,
        "median_gap_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "over_50ms": sum(g > 0.050 for g in gaps),
    }


def run_child(*args: str) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("OMP_THREAD_LIMIT", "1")
    result = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"bench child failed ({result.returncode}):\n{result.stdout}\n"
                         f"{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(lines[-1])
    return data


# -------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captures", type=int, default=10_000)
    parser.add_argument("--ocr-images", type=int, default=500)
    parser.add_argument("--lang", default="eng", help="OCR languages (default eng; 'auto' "
                        "adds script detection and is slower)")
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--workspace", type=Path, default=None,
                        help="where to cache the bench workspace")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--child", choices=("startup", "stall"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    ws = args.workspace or Path(tempfile.gettempdir()) / f"aw-bench-gui-{args.captures}"

    if args.child == "startup":
        print(json.dumps(child_startup(ws)))
        return
    if args.child == "stall":
        print(json.dumps(child_stall(ws, args.ocr_images, args.lang)))
        return

    adverts = max(500, args.ocr_images)
    build_workspace(ws, args.captures, min(adverts, args.captures), args.rebuild)
    print(f"GUI bench: {args.captures} captures, {os.cpu_count()} CPUs, "
          f"Qt platform {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}, "
          f"load average {os.getloadavg()[0]:.1f} before")
    runs = [run_child("--child", "startup", "--workspace", str(ws),
                      "--captures", str(args.captures)) for _ in range(args.startup_runs)]
    best = min(runs, key=lambda r: r["window_s"])
    print(f"time to a shown main window ({int(best['rows'])} captures): "
          f"{best['window_s']:.2f} s best, "
          f"{statistics.median(r['window_s'] for r in runs):.2f} s median of {len(runs)} "
          f"(QApplication → gallery's first paint; target ≤ 1.5 s)")
    print(f"  + Python imports {best['imports_s']:.2f} s; first screen of thumbnails loaded "
          f"at {best['thumbs_s']:.2f} s")
    stall = run_child("--child", "stall", "--workspace", str(ws), "--captures",
                      str(args.captures), "--ocr-images", str(args.ocr_images),
                      "--lang", args.lang)
    print(f"OCR of {stall['images']} images ({args.lang}) on the writer thread: "
          f"{stall['ocr_s']:.1f} s, {stall['done']} done, {stall['failed']} failed")
    print(f"GUI thread's longest stall: {stall['max_gap_ms']:.0f} ms between 10 ms ticks "
          f"(target ≤ 50 ms); p99 {stall['p99_gap_ms']:.0f} ms, median "
          f"{stall['median_gap_ms']:.1f} ms, {stall['over_50ms']} of {stall['ticks']} "
          f"gaps over 50 ms (load average {os.getloadavg()[0]:.1f} after; other processes "
          "competing for the CPUs show up as stalls too)")


if __name__ == "__main__":
    main()
