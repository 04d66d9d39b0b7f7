"""The case report: PDF/A-3b or HTML, signed by the agency key (``ws.report``)."""
