"""Screenshots of the real window for the README, taken under Xvfb.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Builds a demo workspace (rendered adverts in several languages, OCR'd with the
real Tesseract), opens the main window on a real X display, and saves
``docs/screenshots/gallery.png``, ``viewer-arabic.png`` (OCR word boxes over
Arabic text, right-to-left text panel, indicators), ``pack-composer.png`` and
``outbox.png`` (a pack sent to TikTok with the platform's answer) and
``contacts.png`` (platform contacts and the agency keys, fingerprints grouped).
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
            result = ws.intake.import_bytes(out.getvalue(), CaptureMeta(
                case=case, source_url=url, notes="WhatsApp +44 7700 900123"
                if name in ("english", "mixed") else ""), method="paste",
                original_filename=f"{name}.png")
            ids.append(result.id)
        for _ in ws.reading.run_ocr([i for i in ids if i is not None]):
            pass
        build_packs(ws, path.parent, ids)


def build_packs(ws: object, tmp: Path, ids: list[int | None]) -> None:
    """Agency keys (passphrase files), two platform contacts, one pack sent to TikTok
    and its outcome file imported."""
    import csv

    import pyrage

    from workstation.workspace import Workspace

    assert isinstance(ws, Workspace)
    os.environ["AW_DEMO_PASSPHRASE"] = "demo passphrase, not secret"
    ws.keys.use_secrets(passphrase_env="AW_DEMO_PASSPHRASE", backend="file")
    ws.keys.init()
    contacts = {}
    for platform, org in (("tiktok", "TikTok Trust and Safety"),
                          ("facebook", "Meta Law Enforcement Response")):
        recipient = str(pyrage.x25519.Identity.generate().to_public())
        contacts[platform] = ws.contacts.add(platform, "Duty Lead", f"le@{platform}.example",
                                             [recipient], organisation=org).id
    ws.contacts.verify(contacts["tiktok"], "fingerprint read out on a call")
    pack = ws.packs.build(contacts["tiktok"], [i for i in ids[1:2] if i], priority="urgent")
    out = tmp / "usb"
    out.mkdir(exist_ok=True)
    ws.outbox.send(pack.ref, via="folder", to=str(out))
    answer = tmp / "outcomes.csv"
    with answer.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["pack_ref", "capture_id", "outcome", "time", "comment"])
        writer.writerow([pack.ref, ids[1], "removed", "2026-12-01T21:40:00Z", "video removed"])
    ws.outcomes.import_file(answer)


def main() -> int:
    os.environ.setdefault("WORKSTATION_ANALYST", "Demo Analyst")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.common.prefs import Preferences
    from ui.common.session import Session
    from ui.main.mainwindow import MainWindow

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
    viewer.close()
    window.views.select(1)  # the English Facebook advert (and its dark-mode repost)
    window.views.select(7)
    composer = window.new_pack()
    composer.add_captures([1, 7])
    composer.resize(1200, 640)
    pause(1500)
    composer.grab().save(str(OUT / "pack-composer.png"))
    composer.close()
    outbox = window.show_outbox()
    outbox.resize(1400, 800)
    pause(1500)
    outbox.grab().save(str(OUT / "outbox.png"))
    outbox.close()
    contacts = window.show_contacts()
    contacts.resize(1300, 760)
    pause(1500)
    contacts.grab().save(str(OUT / "contacts.png"))
    contacts.close()
    print(f"saved {sorted(p.name for p in OUT.glob('*.png'))} in {OUT}")
    viewer.close()
    window.close()
    session.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
