"""Tests of workstation/packs."""
