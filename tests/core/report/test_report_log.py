"""Writing a report leaves the workstation's log alone: fontTools' subsetting chatter
(some 200 INFO lines per report, the glyph names of the report's text among them) is
not logged."""

from __future__ import annotations

import logging

import pytest

from workstation.report.model import ReportHeader
from workstation.report.pdf import PdfReport


def _header() -> ReportHeader:
    return ReportHeader(
        agency="Test Police Service", unit="Unit", case_id=1, case_name="op-sea",
        case_status="open", case_created_at="2026-12-05T10:00:00Z",
        marking="OFFICIAL-SENSITIVE", generated_at="2026-12-05 10:00:00 UTC (+00:00)",
        generated_utc="2026-12-05T10:00:00Z", analyst="Test Analyst", app_version="0",
        verify_ok=True, verify_summary="OK", verify_problems=(), exhibit_count=0,
        storage="stored", audit_head="empty")


def test_font_subsetting_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with PdfReport(_header()) as doc:
        doc.front([])
        doc.audit(["1  رحلة آمنة إلى بريطانيا  ናብ እንግሊዝ ጉዕዞ"])
        data = doc.finish(b"{}", b"")
    assert data.startswith(b"%PDF-")
    noisy = [r for r in caplog.records if r.name.startswith("fontTools")]
    assert noisy == [], noisy[:3]


def test_font_files_are_closed_when_a_report_is_abandoned() -> None:
    """fontTools reads the fonts lazily and keeps them open; fpdf2 closes them only
    when it writes the document. A report cancelled or failed before that closes them
    too (an unclosed file is a ResourceWarning that surfaces in an unrelated place)."""
    with pytest.raises(RuntimeError, match="cancelled"), PdfReport(_header()) as doc:
        doc.front([])
        files = [f.ttfont.reader.file for f in doc.pdf.fonts.values()
                 if getattr(f, "ttfont", None) is not None and f.ttfont.reader]
        assert files and not any(fh.closed for fh in files)
        raise RuntimeError("cancelled")
    assert all(fh.closed for fh in files)
