"""The redaction editor and the viewer's redaction actions."""
