"""``report.html``: one self-contained page for the person at the platform who reads
the pack (previews as ``data:`` URIs, right-to-left text marked as such).

The markup is the Jinja2 template ``workstation/resources/templates/report.html.j2``
(autoescape on: every value is HTML-escaped).  Its macros ``head``, ``item`` and
``foot`` are rendered one at a time, so the page streams item by item and memory
stays flat however many items a pack holds.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any

import jinja2

from workstation.packs.format.spec import ACTIONS, HTML_LANG, PackItem, PackSpec
from workstation.resources import resources_dir

_TEMPLATE = "report.html.j2"


def _safe_href(url: str | None) -> str | None:
    """``url`` (stripped) when it may be a link: ``http(s)`` only, never ``javascript:``."""
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _finalize(value: Any) -> Any:
    """A missing value (``None``) prints as nothing, as the report always did."""
    return "" if value is None else value


@cache
def _report_macros() -> Any:
    """The template's macros (``head``, ``item``, ``foot``), loaded once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resources_dir() / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["safe_href"] = _safe_href
    env.filters["b64"] = _b64
    env.globals.update(ACTIONS=ACTIONS, HTML_LANG=HTML_LANG)
    return env.get_template(_TEMPLATE).module


def report_html(spec: PackSpec, items: Sequence[PackItem],
                preview_for: Callable[[PackItem], bytes | None] | None = None,
                ) -> Iterator[bytes]:
    """``report.html`` in pieces (one item at a time, so memory stays flat).

    Self-contained: no script, no external resource (a Content-Security-Policy
    forbids any), images as ``data:`` URIs, every value escaped, text of unknown
    direction marked ``dir="auto"`` and Arabic-script OCR text ``dir="rtl"``.
    ``preview_for`` gives an item's JPEG preview (default: ``item.preview()``).
    """
    macros = _report_macros()
    yield str(macros.head(spec, len(items))).encode("utf-8")
    for item in items:
        preview = None
        with contextlib.suppress(Exception):  # a preview is a courtesy; the original is there
            if preview_for is not None:
                preview = preview_for(item)
            elif item.preview is not None:
                preview = item.preview()
        yield _item_html(spec, item, preview).encode("utf-8")
    yield str(macros.foot(spec)).encode("utf-8")


def _item_html(spec: PackSpec, item: PackItem, preview: bytes | None) -> str:
    """One item's ``<section>`` of the report (``spec`` is the pack it belongs to)."""
    return str(_report_macros().item(item, preview))
