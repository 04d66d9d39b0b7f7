"""Workspaces with real agency keys (file secret store, a passphrase) that know each other
as colleagues, and adverts to put in them: what the case-exchange tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from workstation.models import CaptureMeta
from workstation.workspace import Workspace

PASS_ENV = "WS_TEST_EXCHANGE_PASSPHRASE"
NOTO = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")

Opener = Callable[[str, str], Workspace]


@pytest.fixture
def analysts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Opener]:
    """``open(name, analyst)``: the workspace ``tmp_path/name`` (made with keys the first
    time), opened as ``analyst``; every workspace opened is closed after the test."""
    monkeypatch.setenv(PASS_ENV, "correct horse battery staple")
    monkeypatch.setenv("WORKSTATION_SECRET_BACKEND", "file")
    monkeypatch.delenv("WORKSTATION_ANALYST", raising=False)  # each its own (setting)
    opened: list[Workspace] = []

    def open_as(name: str, analyst: str) -> Workspace:
        path = tmp_path / name
        new = not path.exists()
        ws = Workspace.open(path)
        opened.append(ws)
        ws.keys.use_secrets(passphrase_env=PASS_ENV)
        if new:
            ws.set_setting("analyst", analyst)
            ws.keys.init()
        return ws

    yield open_as
    for ws in opened:
        ws.close()


def introduce(ws: Workspace, other: Workspace, name: str) -> int:
    """Add ``other`` as a colleague of ``ws``; the colleague's id."""
    return ws.colleagues.add(name, other.keys.archive_recipient(),
                             other.keys.export_public_key()).id


def advert(path: Path, phone: str, seed: int = 0) -> Path:
    """An advert with a phone number Tesseract reads."""
    image = Image.new("RGB", (900, 260), (255, 255, 255 - seed % 40))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(NOTO), 44)
    draw.text((30, 40), "Boat to UK every week", font=font, fill="black")
    draw.text((30, 140), f"Call {phone}", font=font, fill="black")
    image.save(path)
    return path


def add_captures(ws: Workspace, folder: Path, case: str, phones: list[str],
                 note: str = "seen on a public group") -> list[int]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [advert(folder / f"advert{i}.png", p, i) for i, p in enumerate(phones)]
    meta = CaptureMeta(case=case, notes=note, tags=("boat",),
                       source_url="https://www.facebook.com/groups/crossings/posts/1")
    return [r.id for r in ws.intake.import_paths(paths, meta) if r.id is not None]
