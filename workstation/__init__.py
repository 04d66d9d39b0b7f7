"""Analyst Workstation core: evidence workspace, OCR, indicators and alert packs.

This package never imports Qt; the desktop UI in ``ui/`` and the CLI both use
the :class:`workstation.workspace.Workspace` façade.
"""

__version__ = "0.1.0"
