"""Redaction: redacted copies of captures (solid boxes over the verified original), their
logs, the ``verify`` check, suggestions (faces, OCR) and a pack item's choice of a copy."""
