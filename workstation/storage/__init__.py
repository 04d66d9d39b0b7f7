"""Storage: the SQLite connection and migrations, the repositories that hold every SQL
statement, the audit chain's table, and full-text ranking (with the compiled ranker)."""
