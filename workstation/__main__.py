"""``python -m workstation`` runs the command line."""

from workstation.cli import run

run()
