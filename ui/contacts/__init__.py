"""Contacts and keys: platform contacts with their fingerprints, verification, and
the agency's keys."""
