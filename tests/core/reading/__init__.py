"""Tests of workstation/reading."""
