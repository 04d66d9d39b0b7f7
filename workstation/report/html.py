"""The case report as one self-contained HTML file (Jinja2, every value escaped; images
as ``data:`` URIs; no script, no remote resource: a Content-Security-Policy says so).
Rendered as a stream: exhibits are written as they are gathered."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from workstation.report.gather import capture_line
from workstation.report.model import Exhibit, IndexRow, ReportHeader
from workstation.report.pdf import _pack_line, _stamp_line
from workstation.resources import resources_dir

TEMPLATE = "case_report.html.j2"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def script_json(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&``
    escaped as JSON escapes, so no text can close the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # escaped above for this context


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resources_dir() / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, auto_reload=False)
    env.filters["b64"] = _b64
    env.globals.update(capture_line=capture_line, pack_line=_pack_line, stamp_line=_stamp_line)
    return env.get_template(TEMPLATE)


def render(header: ReportHeader, index: Iterable[IndexRow], exhibits: Iterable[Exhibit],
           audit: Iterable[dict[str, Any]], manifest: Callable[[], Any]) -> Iterator[str]:
    """The HTML, piece by piece.  ``manifest`` is called once the exhibits are written
    (it holds what they gathered)."""
    return _template().generate(
        h=header, index=index, exhibits=exhibits, audit=audit,
        manifest_json=lambda: script_json(manifest()))
