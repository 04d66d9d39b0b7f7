"""Test suite for Analyst Workstation."""
