"""Trusted timestamps in the window: the list with a Verify button, and sending."""
