"""The audit trail view."""
