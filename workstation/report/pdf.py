"""The case report as PDF/A-3b (fpdf2, text shaped with uharfbuzz).

The Noto fonts are embedded and subset: Noto Sans for Latin script, Noto Naskh Arabic
for Arabic, Persian, Pashto and Kurdish, Noto Sans Ethiopic for Tigrinya, picked per
character (fpdf2's fallback fonts); shaping makes Arabic joined and right to left, and
the text stays extractable (``pdftotext``).  ``manifest.json`` and ``audit.jsonl`` are
embedded as PDF/A-3 associated files (relationship Data and Source).
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workstation.errors import WorkstationError
from workstation.report.gather import capture_line
from workstation.report.model import Exhibit, IndexRow, ReportHeader

#: Where the Noto fonts are looked for (Debian's fonts-noto-core, then a bundled copy).
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"),
             Path(__file__).resolve().parent.parent / "resources" / "fonts")
FONTS = {  # family -> (regular, bold)
    "NotoSans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "NotoNaskhArabic": ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    "NotoSansEthiopic": ("NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf"),
}
LINE = 4.6  # mm, body text line height
#: The page count's placeholder (its width is what the number may take).
PAGES = "{pages:total}"

# fontTools logs some 200 INFO lines per report while subsetting, the glyph names among
# them (which letters the report holds): kept out of the workstation's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def right_to_left(text: str) -> bool:
    """Whether ``text`` is a right-to-left paragraph: its first strong character is
    Arabic or Hebrew script (Unicode's rule P2), so it is set flush right."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def needs_shaping(text: str) -> bool:
    """Whether ``text`` has characters that must be shaped to come out right (Hebrew,
    Arabic, Ethiopic and every other script from U+0590 on, marks included); Latin,
    Greek and Cyrillic are drawn glyph by glyph (shaping every line is ~50x slower)."""
    return any(ord(char) >= 0x0590 for char in text)


def _font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def _make_pdf(header: ReportHeader) -> Any:
    from fpdf import FPDF

    class _Doc(FPDF):
        def header(self) -> None:
            self.set_font("NotoSans", "B", 8)
            self.cell(0, 4, f"{header.marking}  ·  {header.case_name}", align="C",
                      new_x="LMARGIN", new_y="NEXT")
            self.current_font_is_set_on_page = False
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("NotoSans", "", 7)
            self.cell(0, 4, f"{header.marking}  ·  {header.agency}  ·  generated "
                      f"{header.generated_at}  ·  page {self.page_no()} of {PAGES}", align="C")
            self.current_font_is_set_on_page = False

    pdf = _Doc(format="A4", enforce_compliance="PDF/A-3B")
    pdf.alias_nb_pages(PAGES)  # wide enough for thousands of pages
    for family, files in FONTS.items():
        regular = _font_file(files[0])
        if regular is None:
            raise WorkstationError(
                f"The font {files[0]} is not installed (Debian: fonts-noto-core); the "
                "report needs it to write every script correctly.")
        pdf.add_font(family, "", regular)
        bold = _font_file(files[1])
        pdf.add_font(family, "B", bold or regular)
    pdf.set_fallback_fonts(["NotoNaskhArabic", "NotoSansEthiopic"], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(15, 12, 15)
    pdf.set_title(f"Case report: {header.case_name}")
    pdf.set_author(header.agency or header.analyst)
    pdf.set_subject(f"{header.marking}; {header.exhibit_count} exhibit(s)")
    pdf.set_creator(f"Analyst Workstation {header.app_version}")
    pdf.set_lang("en")
    return pdf


class PdfReport:
    """Writes the report page by page; :meth:`finish` returns the PDF's bytes."""

    def __init__(self, header: ReportHeader) -> None:
        self.header = header
        self.pdf = _make_pdf(header)
        self._shaping = True
        self.pdf.add_page()

    def __enter__(self) -> PdfReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the font files fpdf2 keeps open (fontTools reads them lazily)."""
        for font in self.pdf.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    # ---------------------------------------------------------------- writing
    def _text(self, text: str, *, size: float = 9, bold: bool = False, height: float = LINE
              ) -> None:
        pdf = self.pdf
        complex_script = needs_shaping(text)
        if complex_script != self._shaping:  # shaping costs ~50x: only where it matters
            pdf.set_text_shaping(complex_script)
            self._shaping = complex_script
        pdf.set_font("NotoSans", "B" if bold else "", size)
        if not complex_script:  # fpdf2's line breaking is quadratic in a line's length
            for line in self._wrap(text, pdf.epw - 1):
                pdf.cell(0, height, line, new_x="LMARGIN", new_y="NEXT")
            return
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT",
                       align="R" if right_to_left(text) else "L")
        # fpdf2 wraps right-to-left lines in q/Q, which restores the font it set before;
        # make it set the font again before the next text (else the wrong glyphs show)
        pdf.current_font_is_set_on_page = False

    def _wrap(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width`` (mm) in the current font:
        at spaces, and inside a word too long for a line (a hash, a URL)."""
        pdf = self.pdf
        widths, scale = pdf.current_font.cw, pdf.font_size_pt * 0.001 / pdf.k

        def measure(part: str) -> float:  # the font's advance widths (what fpdf2 sums)
            try:
                return float(sum(widths[ord(char)] for char in part)) * scale
            except (IndexError, KeyError, TypeError):
                return float(pdf.get_string_width(part))

        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if measure(candidate) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                while measure(word) > width:  # cut a long word where it must be cut
                    cut = max(1, int(len(word) * width / measure(word)))
                    while cut > 1 and measure(word[:cut]) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        return lines

    def _field(self, label: str, value: object) -> None:
        self._text(f"{label}: {value if value not in (None, '') else '—'}")

    def _heading(self, text: str, size: float = 12) -> None:
        self.pdf.ln(2)
        self._text(text, size=size, bold=True, height=size * 0.5)
        self.pdf.ln(1)

    # -------------------------------------------------------------- sections
    def front(self, index: Iterable[IndexRow]) -> None:
        """Header, continuity statement and the exhibit list."""
        h = self.header
        self._text("CASE REPORT", size=18, bold=True, height=9)
        self._text(h.marking, size=11, bold=True, height=6)
        self._field("Agency", f"{h.agency}" + (f", {h.unit}" if h.unit else ""))
        self._field("Case / operation reference", f"{h.case_name} (case #{h.case_id}, "
                    f"{h.case_status}, opened {h.case_created_at})")
        self._field("Generated", f"{h.generated_at} ({h.generated_utc})")
        self._field("Generated by", f"{h.analyst}, Analyst Workstation {h.app_version}")
        self._field("Exhibits", h.exhibit_count)
        self._heading("Continuity statement")
        self._text(
            f"The {h.exhibit_count} exhibit(s) listed below were captured as stated for each "
            "(who captured it, how and when). " + h.storage)
        self._text(f"Integrity check at generation: {h.verify_summary}", bold=not h.verify_ok)
        if not h.verify_ok:
            self._text("THE INTEGRITY CHECK FAILED. The problems found were:", bold=True)
            for problem in h.verify_problems:
                self._text(f"  • {problem}")
        self._text(f"Audit trail head at generation: {h.audit_head}.")
        self._heading("Exhibit list")
        for row in index:
            name = row.ref if row.ref.startswith("capture #") \
                else f"{row.ref}  ·  capture #{row.capture_id}"
            self._text(f"{name}  ·  {row.captured_at}  ·  "
                       f"{row.platform or 'no platform'}", size=8, height=4)
            self._text(f"    SHA-256 {row.sha256}", size=7, height=3.6)

    def exhibit(self, ex: Exhibit) -> None:
        """One exhibit: its image, metadata, hashes, OCR text, indicators, links,
        packs and outcomes, trusted timestamps."""
        pdf, c = self.pdf, ex.capture
        pdf.add_page()
        self._heading(f"Exhibit {ex.ref}", size=14)
        self._image(ex)
        self._field("Capture", f"#{c.id}; {capture_line(c)}")
        self._field("Source", c.source_url)
        self._field("Platform / account / content id",
                    f"{c.platform or '—'} / {c.handle or '—'} / {c.content_id or '—'}")
        self._field("File", f"{c.original_filename or '—'}, {c.format}, {c.width}×{c.height}, "
                    f"{c.size} bytes")
        self._text(f"SHA-256 {c.sha256}", size=8)
        self._text(f"MD5 {c.md5}", size=8)
        if ex.redaction is not None:
            self._text(f"Shown: the redacted copy, SHA-256 {ex.redaction['sha256']} (redaction "
                       f"#{ex.redaction['id']} by {ex.redaction['created_by']} at "
                       f"{ex.redaction['created_at']}; log SHA-256 {ex.redaction['log_sha256']}; "
                       f"{len(ex.redaction['boxes'])} area(s) filled)", size=8)
        if c.notes:
            self._field("Notes", c.notes)
        self._section("Text read (OCR" + (f", {ex.ocr_languages})" if ex.ocr_languages else ")"),
                      [ex.ocr_text] if ex.ocr_text.strip() else [])
        self._section("Confirmed indicators",
                      [f"{i['kind']}: {i['value']} ({i['source']})" for i in ex.indicators])
        self._section("Links to other captures", ex.links)
        self._section("Alert packs and outcomes", [_pack_line(p) for p in ex.packs])
        self._section("Trusted timestamps", [_stamp_line(t) for t in ex.timestamps])

    def _section(self, title: str, lines: list[str]) -> None:
        self._text(title, bold=True)
        if not lines:
            self._text("  none")
        for line in lines:
            for paragraph in line.splitlines() or [""]:
                self._text(f"  {paragraph}" if paragraph.isascii() else paragraph)

    def _image(self, ex: Exhibit) -> None:
        pdf = self.pdf
        if ex.image is None:
            self._text(f"Image not shown: {ex.image_error or 'not readable'}.", bold=True)
            return
        max_w, max_h = pdf.epw * 0.6, 110.0
        scale = min(max_w / ex.image_width, max_h / ex.image_height)
        w, h = ex.image_width * scale, ex.image_height * scale
        if pdf.get_y() + h > pdf.page_break_trigger:
            pdf.add_page()
        pdf.image(io.BytesIO(ex.image), x=pdf.l_margin, w=w, h=h)
        self._text(f"Shown: the {ex.shown}, SHA-256 {ex.shown_sha256} (downscaled for the page)",
                   size=7, height=3.6)

    def audit(self, entries: Iterable[str]) -> None:
        """The case's audit trail (one line per entry, as the caller formats it)."""
        self.pdf.add_page()
        self._heading("Audit trail of the case", size=14)
        for line in entries:
            self._text(line, size=7, height=3.4)

    def finish(self, manifest: bytes, audit_jsonl: bytes) -> bytes:
        """Attach ``manifest.json`` and ``audit.jsonl``; the document's bytes."""
        when = None
        pdf = self.pdf
        # in name order: fpdf2 writes the names tree as added, readers search it sorted
        pdf.embed_file(bytes=audit_jsonl or b"\n", basename="audit.jsonl",
                       mime_type="application/x-ndjson", associated_file_relationship="Source",
                       modification_date=when,
                       desc="The case's audit entries (seq, hash, prev_hash)", compress=True)
        pdf.embed_file(bytes=manifest, basename="manifest.json", mime_type="application/json",
                       associated_file_relationship="Data", modification_date=when,
                       desc="The report's contents: exhibits, hashes, redaction logs, "
                            "timestamps", compress=True)
        return bytes(pdf.output())


def _pack_line(p: dict[str, Any]) -> str:
    outcome = p["outcome"] + (f" at {p['outcome_at']}" if p.get("outcome_at") else "")
    if p.get("outcome_comment"):
        outcome += f" ({p['outcome_comment']})"
    return (f"{p['ref']} to {p['platform']}: {p['state']}, sealed {p['sealed_at'] or '—'}, "
            f"sent {p['sent_at'] or '—'}, sent as the {p['sent_as']}; outcome {outcome}")


def _stamp_line(t: dict[str, Any]) -> str:
    return (f"{t.get('subject', '')}: {t.get('gen_time')} by {t.get('tsa_url') or 'a TSA'} "
            f"over SHA-256 {t.get('digest', '')}")
