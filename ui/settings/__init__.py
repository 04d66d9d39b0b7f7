"""The Settings dialog, driven by the settings table in :mod:`workstation.settings`."""
