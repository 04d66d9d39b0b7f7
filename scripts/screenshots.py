"""Screenshots of the real window for the user guide (docs/guide.md) and the README,
taken under Xvfb.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Builds a demo workspace of phone-sized screenshots of adverts (tests/adverts.py:
1080x1920, several languages, OCR'd with the real Tesseract), opens the main window on
a real X display, and saves in ``docs/screenshots/``: ``first-start.png`` and
``first-start-keys.png`` (the first-start setup of a new workspace: the analyst's
name, the agency's keys); ``gallery.png`` (the gallery as the analyst first sees it:
every image blurred, the wellbeing default) and ``gallery-revealed.png`` (Reveal
images, Ctrl+Shift+V); ``viewer-arabic.png`` (OCR word boxes over an Arabic advert,
right-to-left text) and ``viewer-indicators.png`` (the indicators to confirm, one
confirmed); ``pack-composer.png`` and ``outbox.png`` (a pack sent to Instagram with
the platform's answer) and ``contacts.png`` (platform contacts and the agency keys,
fingerprints grouped); for court: ``case-view.png`` (a case's captures with their
exhibit references, its pack and the platform's outcome, the timeline),
``redaction-editor.png`` (an advert with a face and a phone number: two boxes, an
e-mail address still suggested) and ``case-report.png`` (an exhibit's page of the
signed PDF case report, the redacted copy shown, rendered with poppler's
``pdftoppm``).  Needs ``openssl`` (a loopback TSA gives the trusted timestamp) and
``pdftotext``/``pdftoppm`` (poppler-utils).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
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


#: The demo captures, in import order: (advert of tests/adverts.py, platform, URL, case).
DEMO = [
    ("eng_fb", "facebook", "https://www.facebook.com/boats.uk.safe/posts/1001", "Op Kestrel"),
    ("eng_ig", "instagram", "https://www.instagram.com/p/CxSafar01/", "Op Kestrel"),
    ("ara_fb", "facebook", "https://www.facebook.com/safar.group/posts/77", "Op Kestrel"),
    ("fas_fb", "facebook", "https://www.facebook.com/safar.iran/posts/12", "Op Heron"),
    ("fra_tg", "telegram", "https://t.me/voyages_express/88", "Op Heron"),
    ("tur_fb", "facebook", "https://www.facebook.com/ege.yolculuk/posts/5", "Op Heron"),
    ("eng_fb_twin", "facebook", "https://www.facebook.com/london.express/posts/1002",
     "Op Kestrel"),
    ("tir_fb", "facebook", None, "Op Heron"),
]
VIEWED = 3  # the Arabic advert, in the viewer


def build_demo(path: Path) -> int:
    """The demo workspace at ``path``; returns the id of the redacted capture."""
    from tests.adverts import advert_named
    from workstation.models import CaptureMeta
    from workstation.workspace import Workspace

    with Workspace.open(path) as ws:
        ws.set_setting("analyst", "Demo Analyst")
        ids = []
        for name, platform, url, case in DEMO:
            advert = advert_named(name)
            result = ws.intake.import_bytes(advert.data, CaptureMeta(
                case=case, platform=platform, source_url=url), method="import",
                original_filename=f"Screenshot_{name}.png")
            assert result.id is not None
            ids.append(result.id)
            for _ in ws.reading.run_ocr([result.id], lang=advert.given_lang):
                pass
        for capture_id in ids[:2]:  # read and confirmed before the pack went out
            ws.review.confirm_all(capture_id)
        phone = next(r for r in ws.reading.indicators(ids[VIEWED - 1])
                     if r.kind in ("phone", "whatsapp"))
        ws.review.confirm(ids[VIEWED - 1], phone.kind, phone.normalized)
        build_packs(ws, path.parent, ids)
        redacted = build_court(ws, path.parent)
        shoot_report(ws, path.parent, redacted)
    return redacted


def build_packs(ws: object, tmp: Path, ids: list[int]) -> None:
    """Agency keys (passphrase files), two platform contacts, one pack sent to Instagram
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
    for platform, org in (("instagram", "Instagram Trust and Safety"),
                          ("facebook", "Meta Law Enforcement Response")):
        recipient = str(pyrage.x25519.Identity.generate().to_public())
        contacts[platform] = ws.contacts.add(platform, "Duty Lead", f"le@{platform}.example",
                                             [recipient], organisation=org).id
    ws.contacts.verify(contacts["instagram"], "fingerprint read out on a call")
    pack = ws.packs.build(contacts["instagram"], ids[1:2], priority="urgent")
    out = tmp / "usb"
    out.mkdir(exist_ok=True)
    ws.outbox.send(pack.ref, via="folder", to=str(out))
    answer = tmp / "outcomes.csv"
    with answer.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["pack_ref", "capture_id", "outcome", "time", "comment"])
        answered = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow([pack.ref, ids[1], "removed", answered, "post removed"])
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


def shoot_first_start(tmp: Path, pause: Callable[[int], None]) -> None:
    """The first-start setup over the window of a new workspace (no analyst yet): its
    first step, and the agency keys' step."""
    from ui.common.prefs import Preferences
    from ui.common.session import Session
    from ui.main.mainwindow import MainWindow
    from ui.setup.wizard import FirstStartWizard, show_first_start

    analyst = os.environ.pop("WORKSTATION_ANALYST", None)
    prefs = Preferences.at(str(tmp / "first-start.ini"))
    session = Session.open(tmp / "new-ws")
    try:
        window = MainWindow(session, prefs)
        window.resize(1500, 950)
        window.show()
        wizard = show_first_start(session, window.ops, prefs, passphrases=window.passphrases,
                                  parent=window)
        wizard.analyst.name.setText("Dana Analyst")
        pause(1500)
        wizard.grab().save(str(OUT / "first-start.png"))
        wizard.close()
        keys = FirstStartWizard(session, window.ops, prefs, passphrases=window.passphrases,
                                parent=window)
        keys.setStartId(next(i for i in keys.pageIds() if keys.page(i) is keys.keys))
        keys.open()
        pause(1500)
        keys.grab().save(str(OUT / "first-start-keys.png"))
        keys.close()
        window.close()
    finally:
        session.close()
        if analyst is not None:
            os.environ["WORKSTATION_ANALYST"] = analyst


def shoot_window(window: object, pause: Callable[[int], None]) -> None:
    """The gallery as first seen (blurred), revealed; the viewer; the composer, the
    outbox and the contacts."""
    from ui.main.mainwindow import MainWindow

    assert isinstance(window, MainWindow)
    pause(2500)
    window.grab().save(str(OUT / "gallery.png"))  # the wellbeing default: blurred
    window.wellbeing.set_reveal_all(True)  # View → Reveal images (Ctrl+Shift+V)
    pause(2500)
    window.grab().save(str(OUT / "gallery-revealed.png"))
    viewer = window.open_capture(VIEWED)  # the Arabic advert
    viewer.resize(1500, 950)
    pause(2500)
    viewer.grab().save(str(OUT / "viewer-arabic.png"))
    viewer.tabs.setCurrentWidget(viewer.indicators)  # Alt+I
    pause(1000)
    viewer.grab().save(str(OUT / "viewer-indicators.png"))
    viewer.close()
    window.views.select(1)  # the two English Facebook adverts
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

    def pause(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    OUT.mkdir(parents=True, exist_ok=True)
    shoot_first_start(tmp, pause)
    prefs = Preferences.at(str(tmp / "ui.ini"))
    prefs.auto_ocr = False
    prefs.ask_details = False  # images stay blurred until revealed: the default
    session = Session.open(tmp / "ws")
    window = MainWindow(session, prefs)
    window.resize(1500, 950)
    window.show()
    shoot_window(window, pause)
    shoot_court(window, redacted, pause)
    print(f"saved {sorted(p.name for p in OUT.glob('*.png'))} in {OUT}")
    window.close()
    session.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
