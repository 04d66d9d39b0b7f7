"""Screenshots of the real window for the README, taken under Xvfb.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Builds a demo workspace (rendered adverts in several languages, OCR'd with the
real Tesseract), opens the main window on a real X display, and saves
``docs/screenshots/gallery.png`` and ``viewer-arabic.png`` (OCR word boxes over
Arabic text, right-to-left text panel, indicators).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def build_demo(path: Path) -> None:
    from tests.ocr_images import sample
    from workstation.models import CaptureMeta
    from workstation.workspace import Workspace

    demo = [
        ("english", "https://www.facebook.com/boats.uk.safe/posts/1001", "Op Kestrel"),
        ("arabic", "https://www.tiktok.com/@safar_group/video/7301", "Op Kestrel"),
        ("mixed", "https://www.instagram.com/p/CxSafar01/", "Op Kestrel"),
        ("persian", "https://t.me/safar_group/88", "Op Heron"),
        ("french", "https://x.com/voyages_express/status/1790000000000000001", "Op Heron"),
        ("turkish", "https://www.youtube.com/watch?v=ege01", "Op Heron"),
        ("english_dark", "https://www.facebook.com/boats.uk.safe/posts/1002", "Op Kestrel"),
        ("tigrinya", None, "Op Heron"),
    ]
    with Workspace.open(path) as ws:
        ids = []
        for name, url, case in demo:
            out = io.BytesIO()
            sample(name).image.save(out, "PNG")
            result = ws.import_bytes(out.getvalue(), CaptureMeta(
                case=case, source_url=url, notes="WhatsApp +44 7700 900123"
                if name in ("english", "mixed") else ""), method="paste",
                original_filename=f"{name}.png")
            ids.append(result.id)
        for _ in ws.run_ocr([i for i in ids if i is not None]):
            pass


def main() -> int:
    os.environ.setdefault("WORKSTATION_ANALYST", "Demo Analyst")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.mainwindow import MainWindow
    from ui.prefs import Preferences
    from ui.session import Session

    tmp = Path(tempfile.mkdtemp(prefix="aw-screens-"))
    build_demo(tmp / "ws")
    app = QApplication.instance() or QApplication(sys.argv)
    prefs = Preferences.at(str(tmp / "ui.ini"))
    prefs.auto_ocr = False
    prefs.ask_details = False
    prefs.wellbeing = "off"  # the demo adverts are harmless; analysts get blur by default
    session = Session.open(tmp / "ws")
    window = MainWindow(session, prefs)
    window.resize(1500, 950)
    window.show()

    def pause(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    OUT.mkdir(parents=True, exist_ok=True)
    pause(2500)
    window.grab().save(str(OUT / "gallery.png"))
    viewer = window.open_capture(3)  # the mixed Arabic/Latin advert
    viewer.resize(1500, 950)
    pause(2500)
    viewer.grab().save(str(OUT / "viewer-arabic.png"))
    print(f"saved {sorted(p.name for p in OUT.glob('*.png'))} in {OUT}")
    viewer.close()
    window.close()
    session.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
