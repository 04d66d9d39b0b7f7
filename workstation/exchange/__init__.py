"""Passing cases between analysts' workspaces (docs/case-exchange.md)."""
