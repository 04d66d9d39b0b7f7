"""Screenshots of the real window for the README, taken under Xvfb.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Builds a demo workspace (rendered adverts in several languages, OCR'd with the
real Tesseract), opens the main window on a real X display, and saves
``docs/screenshots/gallery.png``, ``viewer-arabic.png`` (OCR word boxes over
Arabic text, right-to-left text panel, indicators), ``pack-composer.png`` and
``outbox.png`` (a pack sent to TikTok with the platform's answer) and
``contacts.png`` (platform contacts and the agency keys, fingerprints grouped); for
court: ``case-view.png`` (a case's captures with their exhibit references, its pack and
the platform's outcome, the timeline), ``redaction-editor.png`` (an advert with a face
and a phone number: two boxes, an e-mail address still suggested) and
``case-report.png`` (an exhibit's page of the signed PDF case report, the redacted copy
shown, rendered with poppler's ``pdftoppm``).  Needs ``openssl`` (a loopback TSA gives
the trusted timestamp) and ``pdftotext``/``pdftoppm`` (poppler-utils).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
#: A fictional agency (report header, pack issuer).
DEMO_ISSUER = {
    "agency_name": "Demo Constabulary",
    "issuing_unit": "Online Referrals Unit",
    "contact_24x7_name": "Force Control Room",
    "contact_24x7_phone": "+442079460000",
    "contact_24x7_email": "control@police.example",
    "reply_to": "outcomes@police.example",
}
REPORT_CASE = "Op Kestrel"


def build_demo(path: Path) -> int:
    """The demo workspace at ``path``; returns the id of the redacted capture."""
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
        redacted = build_court(ws, path.parent)
        shoot_report(ws, path.parent, redacted)
    return redacted


def build_packs(ws: object, tmp: Path, ids: list[int | None]) -> None:
    """Agency keys (passphrase files), two platform contacts, one pack sent to TikTok
    and its outcome file imported."""
    import csv

    import pyrage

    from workstation.workspace import Workspace

    assert isinstance(ws, Workspace)
    os.environ["AW_DEMO_PASSPHRASE"] = "demo passphrase, not secret"
    ws.keys.use_secrets(passphrase_env="AW_DEMO_PASSPHRASE", backend="file")
    for key, value in DEMO_ISSUER.items():
        ws.set_setting(key, value)
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


def build_court(ws: object, tmp: Path) -> int:
    """An advert with a face and a phone number (OCR'd, its face and number redacted as
    the suggestions found them), exhibit references for the case's captures, and a
    trusted timestamp from a loopback TSA; returns the redacted capture's id."""
    from PIL import Image

    from tests.core.redaction.support import drawn_face, png, text_advert
    from tests.tsa import LoopbackTSA, make_pki
    from workstation.models import CaptureMeta
    from workstation.workspace import Workspace

    assert isinstance(ws, Workspace)
    canvas = Image.new("RGB", (900, 1000), "white")
    canvas.paste(text_advert(), (0, 0))
    canvas.paste(drawn_face(608), (146, 380))
    cid = ws.intake.import_bytes(png(canvas), CaptureMeta(
        case=REPORT_CASE, source_url="https://www.tiktok.com/@crossings.now/video/9911"),
        method="paste", original_filename="crossing-advert.png").id
    assert cid is not None
    for _ in ws.reading.run_ocr([cid], lang="eng"):
        pass
    found = ws.redactions.suggest(cid).items
    boxes = [s.box for s in found if s.box.reason in ("third-party face",
                                                      "third-party phone number")]
    ws.redactions.redact(cid, boxes, reason="third-party details")
    for capture in ws.captures.all(case=REPORT_CASE):
        ws.exhibits.assign(capture.id)
    pki = make_pki(tmp / "tsa")
    with LoopbackTSA(pki) as tsa:
        ws.timestamps.add_authority(tsa.url, pki.ca_pem.read_text())
        ws.timestamps.queue_audit_head()
        ws.timestamps.send()
    return cid


def shoot_report(ws: object, tmp: Path, redacted: int) -> None:
    """The case report (PDF), and its page of the redacted exhibit as case-report.png."""
    from workstation.workspace import Workspace

    assert isinstance(ws, Workspace)
    pdf = tmp / "case-report.pdf"
    ws.report.build(REPORT_CASE, pdf)
    heading = f"Exhibit {ws.exhibits.ref_for(redacted)}\n"
    page = 1
    while True:  # the first page that starts the exhibit (not the exhibit list)
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        if heading in text:
            break
        page += 1
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(OUT / "case-report")], check=True)


def shoot_court(window: object, redacted: int, pause: object) -> None:
    """The case view on the demo case, and the redaction editor on the redacted advert:
    its two boxes, the suggestions they already cover dismissed (the e-mail is left)."""
    from collections.abc import Callable

    from ui.cases.caseview import open_case_view
    from ui.main.mainwindow import MainWindow
    from ui.redaction.editor import RedactionEditor

    assert isinstance(window, MainWindow) and callable(pause)
    wait: Callable[[int], None] = pause
    view = open_case_view(window.session, window.ops, window, REPORT_CASE)
    view.resize(1250, 460)
    wait(2500)
    view.grab().save(str(OUT / "case-view.png"))
    view.close()
    editor = RedactionEditor(window.session, window.ops, redacted, window)
    editor.resize(1300, 860)
    editor.show()
    for _ in range(120):  # the detector and OCR words, off the GUI thread
        if editor.word_list.count():
            break
        wait(500)
    covered = {b.reason for b in editor.canvas.boxes()}
    for row in reversed(range(editor.suggestion_list.count())):
        if editor.suggestion_list.item(row).toolTip() in covered:
            editor.suggestion_list.setCurrentRow(row)
            editor.dismiss_suggestion()
    editor.canvas.choose(0)
    wait(1000)
    editor.grab().save(str(OUT / "redaction-editor.png"))
    editor.shutdown()
    editor.close()


def main() -> int:
    os.environ.setdefault("WORKSTATION_ANALYST", "Demo Analyst")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.common.prefs import Preferences
    from ui.common.session import Session
    from ui.main.mainwindow import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="aw-screens-"))
    redacted = build_demo(tmp / "ws")
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
    shoot_court(window, redacted, pause)
    print(f"saved {sorted(p.name for p in OUT.glob('*.png'))} in {OUT}")
    viewer.close()
    window.close()
    session.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
