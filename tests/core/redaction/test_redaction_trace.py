"""A redacted copy changed outside the application is made again when read; the
replacement leaves a trace in the log (``verify`` no longer sees the swap after it)."""

from __future__ import annotations

import hashlib
import logging

import pytest
from PIL import Image

from tests.core.redaction.support import add, png
from tests.imagegen import make_image
from workstation.redaction.model import Box
from workstation.redaction.service import copy_file
from workstation.workspace import Workspace


def test_replacing_a_swapped_copy_is_logged(ws: Workspace,
                                            caplog: pytest.LogCaptureFixture) -> None:
    cid = add(ws, make_image(seed=17))
    redaction = ws.redactions.redact(cid, [Box(5, 5, 30, 30, "x")])
    path = copy_file(ws.ctx, redaction.sha256)
    swapped = png(Image.new("RGB", (360, 640), "black"))
    path.write_bytes(swapped)
    caplog.set_level(logging.WARNING, logger="workstation.redaction")
    assert hashlib.sha256(ws.redactions.read_copy(redaction)).hexdigest() == redaction.sha256
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"redacted copy #{redaction.id} of capture #{cid} was altered (SHA-256 "
               f"{hashlib.sha256(swapped).hexdigest()})" in m for m in messages), messages
