"""Cryptography: minisign-compatible signing, age encryption, recipient keys and the
secret store (OS keyring or a passphrase-encrypted file)."""
