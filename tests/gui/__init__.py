"""Tests of ui/ (Qt, offscreen)."""
