"""What every window shares: the session (read-only workspace + writer thread),
the write operations, background tasks and reads, preferences, error boxes,
the passphrase prompt and small Qt helpers."""
