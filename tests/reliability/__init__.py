"""Bad days and bad input: a full disk, a damaged database, hostile arguments and files."""
