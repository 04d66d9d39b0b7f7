"""Tests of workstation/evidence."""
