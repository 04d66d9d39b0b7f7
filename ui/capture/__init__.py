"""Capturing evidence: dropped, pasted and watched-folder files, the screen-region
grab, and the details form shown after a capture."""
