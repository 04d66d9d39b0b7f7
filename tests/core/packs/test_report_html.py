"""report.html from the Jinja2 template: hostile capture text comes out escaped, a
``javascript:`` URL is never a link, and the page streams one item per chunk."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyrage

from tests.core.packs.support import FakeOcr
from workstation.models import CaptureMeta
from workstation.packs.format.report import report_html
from workstation.packs.format.spec import PackItem, PackRecipient, PackSpec
from workstation.workspace import Workspace

SCRIPT = "<script>alert(1)</script>"


def test_hostile_capture_text_is_escaped_and_javascript_urls_are_not_links(
        ws: Workspace, image_file: Callable[..., Path]) -> None:
    capture = ws.intake.import_file(image_file(), CaptureMeta(
        source_url="javascript:alert(document.cookie)", case="op-sea", platform="tiktok",
        handle=f"\"><img src=x onerror=alert(1)>{SCRIPT}",
        notes=f"call +44 7700 900123 {SCRIPT}")).id
    assert capture is not None
    ws.reading._store_ocr(capture, FakeOcr(f"boat UK\n{SCRIPT}\n\n<b>hi</b>", ("eng",)))
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    contact = ws.contacts.add("tiktok", f"T&S {SCRIPT}", "ts@tiktok.example", [recipient]).id

    page = ws.packs.preview(contact, [capture], reason=f"Adverts {SCRIPT}")

    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "javascript:" not in " ".join(re.findall(r"\bhref=\"([^\"]*)\"", page)).lower()
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert page.count(escaped) >= 4  # the contact, the reason, the handle, the OCR text
    assert f"<p dir=\"auto\">{escaped}</p>" in page
    assert "<p dir=\"auto\">&nbsp;</p><p dir=\"auto\">&lt;b&gt;hi&lt;/b&gt;</p>" in page
    # Shown, as text, so the platform sees what the advert linked to.
    assert ("<span class=\"mono\" dir=\"ltr\">javascript:alert(document.cookie)</span>"
            in page)
    assert "<bdi dir=\"auto\">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def _spec(basis: dict[str, str]) -> PackSpec:
    recipient = PackRecipient("age1x", "x25519", "f", "contact")
    return PackSpec(
        ref="NCA-AP-2026-000009", created_at="2026-01-01T00:00:00Z", agency="NCA", unit="OIC",
        analyst="A", contact_24x7={"name": "desk", "phone": "+44 1", "email": None},
        platform="other", operator="Op", contact={"name": "x"}, recipients=[recipient],
        basis=basis, handling="OFFICIAL-SENSITIVE", priority="urgent", action="remove",
        reason="", preserve_days=90, deadline_at="2026-01-04T00:00:00Z", signing_key_id="K",
        app_version="0")


def _item(position: int, tmp_path: Path, **kwargs: object) -> PackItem:
    return PackItem(position, 6 + position, tmp_path / "x", "0" * 64, "0" * 32, 1, "png", 2, 3,
                    "2026-01-01T00:00:00Z", "analyst", "p", **kwargs)  # type: ignore[arg-type]


def test_only_http_links_are_clickable_and_missing_values_print_nothing(tmp_path: Path) -> None:
    spec = _spec({"document": "Terms", "title": "Smuggling", "url": "JavaScript:alert(1)",
                  "clause": "c"})
    page = b"".join(report_html(spec, [
        _item(1, tmp_path, source_url=" https://www.tiktok.com/@x/video/1?a=1&b=2 ",
              profile_url="data:text/html,<script>alert(1)</script>"),
    ])).decode("utf-8")
    hrefs = re.findall(r"\bhref=\"([^\"]*)\"", page)
    assert hrefs == ["evidence/001-capture-7.png",
                     "https://www.tiktok.com/@x/video/1?a=1&amp;b=2"]
    assert "<span class=\"mono\" dir=\"ltr\">JavaScript:alert(1)</span>" in page
    assert "None" not in page  # a missing value (the desk's e-mail) prints as nothing
    assert "<span class=\"urgent\">URGENT</span>" in page
    assert "No preview; original: <a href=\"evidence/001-capture-7.png\">" in page
    assert "(2×3)" in page


def test_the_page_streams_one_chunk_per_item_with_its_preview(tmp_path: Path) -> None:
    items = [_item(n, tmp_path, preview=lambda: b"\xff\xd8jpeg") for n in range(1, 51)]
    chunks = list(report_html(_spec({}), items))
    assert len(chunks) == 52  # head, one per item, foot
    assert chunks[0].startswith(b"<!DOCTYPE html>") and chunks[-1].endswith(b"</html>\n")
    for n, chunk in enumerate(chunks[1:-1], start=1):
        assert chunk.startswith(f"<section id=\"item-{n}\">".encode())
        assert b"src=\"data:image/jpeg;base64,/9hqcGVn\"" in chunk
