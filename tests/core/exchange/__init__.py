"""Tests of workstation/exchange."""
