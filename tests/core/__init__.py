"""Tests of the core package, its packaging and its process-wide services (no Qt)."""
