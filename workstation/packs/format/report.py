"""``report.html``: one self-contained page for the person at the platform who reads
the pack (previews as ``data:`` URIs, right-to-left text marked as such)."""

from __future__ import annotations

import base64
import contextlib
import html
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from workstation.packs.format.spec import ACTIONS, HTML_LANG, PackItem, PackSpec


def _safe_href(url: str | None) -> str | None:
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


_CSS = """
body{font-family:"Noto Sans","Noto Sans Arabic","Segoe UI",Arial,sans-serif;margin:0;
color:#1b1b1b;background:#fafafa;line-height:1.45}
.marking{background:#8b0000;color:#fff;text-align:center;font-weight:bold;padding:4px;
letter-spacing:.08em}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.2em;border-bottom:2px solid #ccc;
padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:start;vertical-align:top}
th{background:#eee;font-weight:600}
.item{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.item figure{margin:0;flex:0 0 auto}
.item img{max-width:360px;max-height:780px;border:1px solid #999}
.facts{flex:1 1 420px;min-width:320px}
.ocr{background:#fff;border:1px solid #ddd;padding:8px;white-space:pre-wrap;
font-family:"Noto Sans Mono","Noto Naskh Arabic",monospace;unicode-bidi:plaintext}
.ocr p{margin:0}.mono{font-family:monospace;word-break:break-all}
.urgent{color:#8b0000;font-weight:bold}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _row(label: str, value_html: str) -> str:
    return f"<tr><th scope=\"row\">{_e(label)}</th><td>{value_html}</td></tr>\n"


def _link(url: str | None) -> str:
    if not url:
        return ""
    href = _safe_href(url)
    if href is None:
        return f'<span class="mono" dir="ltr">{_e(url)}</span>'
    return (f'<a class="mono" dir="ltr" href="{_e(href)}" rel="noopener noreferrer">'
            f"{_e(url)}</a>")


def report_html(spec: PackSpec, items: Sequence[PackItem],
                preview_for: Callable[[PackItem], bytes | None] | None = None,
                ) -> Iterator[bytes]:
    """``report.html`` in pieces (one item at a time, so memory stays flat).

    Self-contained: no script, no external resource (a Content-Security-Policy
    forbids any), images as ``data:`` URIs, every value escaped, text of unknown
    direction marked ``dir="auto"`` and Arabic-script OCR text ``dir="rtl"``.
    ``preview_for`` gives an item's JPEG preview (default: ``item.preview()``).
    """
    c24 = spec.contact_24x7
    head = [
        "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">\n",
        "<meta name=\"referrer\" content=\"no-referrer\">\n",
        f"<title>{_e(spec.handling)} — Alert pack {_e(spec.ref)}</title>\n",
        f"<style>{_CSS}</style>\n</head>\n<body>\n",
        f"<div class=\"marking\">{_e(spec.handling)}</div>\n<main>\n",
        f"<h1>Alert pack {_e(spec.ref)}</h1>\n",
        "<table>\n",
        _row("From", f"{_e(spec.agency)} — {_e(spec.unit)} (analyst {_e(spec.analyst)})"),
        _row("To", f"<bdi>{_e(spec.contact.get('name'))}</bdi>, "
                   f"{_e(spec.contact.get('organisation') or spec.operator)} "
                   f"({_e(spec.platform)})"),
        _row("Created (UTC)", _e(spec.created_at)),
        _row("Priority", f"<span class=\"{'urgent' if spec.priority == 'urgent' else ''}\">"
                         f"{_e(spec.priority.upper())}</span>"),
        _row("Requested action", f"<b>{_e(spec.action.upper())}</b>: {_e(ACTIONS[spec.action])}"
                                 f" Preserve data for {spec.preserve_days} days."),
        _row("Deadline (UTC)", _e(spec.deadline_at)),
        _row("Reason", f"<span dir=\"auto\">{_e(spec.reason)}</span>"),
        _row("Basis", _basis_html(spec.basis)),
        _row("24/7 contact", f"{_e(c24.get('name'))} <span dir=\"ltr\">{_e(c24.get('phone'))}"
                             f"</span> {_e(c24.get('email'))}"),
        _row("Items", str(len(items))),
        "</table>\n",
        "<p>How to answer: fill in <code>outcome-template.csv</code> (one row per item: "
        "removed, restricted, no_violation, already_gone or pending) and send it to "
        f"{_e(spec.reply_to or c24.get('email') or 'the sender')}.</p>\n",
    ]
    yield "".join(head).encode("utf-8")
    for item in items:
        preview = None
        with contextlib.suppress(Exception):  # a preview is a courtesy; the original is there
            if preview_for is not None:
                preview = preview_for(item)
            elif item.preview is not None:
                preview = item.preview()
        yield _item_html(spec, item, preview).encode("utf-8")
    yield f"</main>\n<div class=\"marking\">{_e(spec.handling)}</div>\n</body>\n</html>\n".encode()


def _basis_html(basis: dict[str, Any]) -> str:
    section = f" — {_e(basis.get('section'))}" if basis.get("section") else ""
    return (f"{_e(basis.get('document'))}: <b>{_e(basis.get('title'))}</b>{section}"
            f"<br>{_link(basis.get('url'))}<br>{_e(basis.get('clause'))}")


def _item_html(spec: PackSpec, item: PackItem, preview: bytes | None) -> str:
    parts = [f"<section id=\"item-{item.position}\">\n",
             f"<h2>Item {item.position} — capture #{item.capture_id}</h2>\n<div class=\"item\">\n"]
    original = (f"<a href=\"{_e(item.evidence_name)}\"><code>{_e(item.evidence_name)}</code></a>"
                f" ({item.width}×{item.height})")
    if preview:
        data = base64.b64encode(preview).decode("ascii")
        parts.append(f"<figure><img alt=\"Screenshot of item {item.position}\" "
                     f"src=\"data:image/jpeg;base64,{data}\"><figcaption>Preview; original: "
                     f"{original}</figcaption></figure>\n")
    else:
        parts.append(f"<figure><figcaption>No preview; original: {original}</figcaption>"
                     "</figure>\n")
    parts.append("<div class=\"facts\"><table>\n")
    parts.append(_row("URL", _link(item.source_url)))
    parts.append(_row("Content id",
                      f"<span class=\"mono\" dir=\"ltr\">{_e(item.content_id)}</span>"))
    parts.append(_row("Content type", _e(item.content_type)))
    parts.append(_row("Account", f"<bdi dir=\"auto\">{_e(item.handle)}</bdi> "
                                 f"{_link(item.profile_url)}"
                                 + (f" id <span class=\"mono\">{_e(item.account_id)}</span>"
                                    if item.account_id else "")))
    parts.append(_row("Observed (UTC)", f"{_e(item.observed_at)} ({_e(item.observed_at_source)})"))
    parts.append(_row("Languages", _e(", ".join(item.languages))))
    parts.append(_row("Policy", _e(item.policy)))
    parts.append(_row("SHA-256", f"<span class=\"mono\">{_e(item.sha256)}</span>"))
    parts.append(_row("MD5", f"<span class=\"mono\">{_e(item.md5)}</span>"))
    if item.pdq:
        parts.append(_row("PDQ", f"<span class=\"mono\">{_e(item.pdq)}</span> "
                                 f"(quality {_e(item.pdq_quality)})"))
    if item.prior_refs:
        parts.append(_row("Earlier packs", _e(", ".join(item.prior_refs))))
    parts.append("</table>\n")
    if item.indicators:
        parts.append("<table><tr><th>Kind</th><th>Value (normalised)</th><th>As read</th>"
                     "<th>Earlier packs</th></tr>\n")
        for ind in item.indicators:
            parts.append(
                f"<tr><td>{_e(ind.get('kind'))}</td><td><bdi dir=\"ltr\" class=\"mono\">"
                f"{_e(ind.get('normalized'))}</bdi></td><td><bdi dir=\"auto\">"
                f"{_e(ind.get('value'))}</bdi></td><td>{_e(' '.join(ind.get('prior_packs', [])))}"
                "</td></tr>\n")
        parts.append("</table>\n")
    if item.ocr_text is not None:
        langs = [HTML_LANG.get(lang, lang) for lang in item.languages]
        lang_attr = f" lang=\"{_e(langs[0])}\"" if langs else ""
        direction = "rtl" if item.rtl else "auto"
        lines = item.ocr_text.splitlines() or [""]
        body = "".join(f"<p dir=\"auto\">{_e(line) or '&nbsp;'}</p>" for line in lines)
        parts.append(f"<h3>Text read (OCR)</h3>\n<div class=\"ocr\" dir=\"{direction}\""
                     f"{lang_attr}>{body}</div>\n")
    parts.append("</div></div>\n</section>\n")
    return "".join(parts)
