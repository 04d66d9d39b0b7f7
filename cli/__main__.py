"""``python -m cli`` runs the command line (``workstation`` once installed)."""

from cli.main import run

run()
