"""Tests of workstation/storage."""
