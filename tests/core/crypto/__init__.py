"""Tests of workstation/crypto."""
