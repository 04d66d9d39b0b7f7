-- 0003: alert packs: the agency's keys, platform contacts, packs and their items,
-- the outbox (delivery state and attempts) and the platforms' answers (outcomes).
-- Secrets (private keys, SMTP password) are never stored here: only their name in
-- the secret store (OS keyring or passphrase-encrypted files in <workspace>/secrets).

-- The agency's keys: the Ed25519 signing key (minisign format) and the age X25519
-- "archive" identity every pack is also encrypted to.  Rotated keys are kept
-- (retired_at) so that packs signed with them still verify.
CREATE TABLE agency_keys (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('signing', 'archive')),
    key_id      TEXT NOT NULL UNIQUE,   -- minisign key id (signing) or compact fingerprint
    public      TEXT NOT NULL,          -- minisign base64 public key, or the age1... recipient
    fingerprint TEXT NOT NULL,          -- eight groups of four hex digits (read over the phone)
    secret_name TEXT NOT NULL,          -- the private key's name in the secret store
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    retired_at  TEXT
);
CREATE UNIQUE INDEX agency_keys_current ON agency_keys (kind) WHERE retired_at IS NULL;

-- A platform's trust-and-safety contact and the age recipients (public keys) packs
-- for them are encrypted to.
CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL CHECK (platform IN ('facebook', 'instagram', 'tiktok', 'youtube',
                                                   'x', 'telegram', 'whatsapp', 'other')),
    organisation TEXT,
    name         TEXT NOT NULL,
    role         TEXT,
    email        TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'import')),
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    verified_by  TEXT,
    verified_at  TEXT,
    verify_note  TEXT
);

CREATE TABLE contact_recipients (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    kind        TEXT NOT NULL CHECK (kind IN ('x25519', 'ssh-ed25519')),
    recipient   TEXT NOT NULL,          -- canonical: age1... or "ssh-ed25519 <base64>"
    comment     TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL,
    UNIQUE (contact_id, recipient)
);

-- One alert pack: draft -> sealed -> queued -> (sending) -> sent -> acknowledged -> closed.
-- 'sending' is recorded just before the SMTP DATA command: a pack found in that state
-- may or may not have been delivered and is never re-sent without a person deciding.
CREATE TABLE packs (
    id              INTEGER PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,       -- e.g. NCA-AP-2026-000123
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    platform        TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'sealed', 'queued', 'sending', 'sent',
                                     'acknowledged', 'closed')),
    priority        TEXT NOT NULL CHECK (priority IN ('normal', 'urgent')),
    action          TEXT NOT NULL CHECK (action IN ('remove', 'restrict', 'preserve')),
    reason          TEXT NOT NULL DEFAULT '',
    basis           TEXT NOT NULL DEFAULT '{}', -- JSON: the terms clause or legal basis cited
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    sealed_at       TEXT,
    deadline_at     TEXT,
    file_name       TEXT,                       -- in <workspace>/outbox/
    file_size       INTEGER,
    file_sha256     TEXT,                       -- of the encrypted .alertpack.age file
    manifest_sha256 TEXT,
    sums_sha256     TEXT,                       -- of SHA256SUMS (what the signature covers)
    signing_key_id  TEXT,
    recipients      TEXT NOT NULL DEFAULT '[]', -- JSON [{recipient, fingerprint, role}]
    message_id      TEXT UNIQUE,                -- stable per pack (derived from the ref)
    transport       TEXT CHECK (transport IN ('smtp', 'folder')),
    destination     TEXT,                       -- e-mail address or folder
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    sending_at      TEXT,
    sent_at         TEXT,
    acknowledged_at TEXT,
    closed_at       TEXT
);
CREATE INDEX packs_state ON packs (state, next_attempt_at);

CREATE TABLE pack_items (
    pack_id         INTEGER NOT NULL REFERENCES packs (id),
    capture_id      INTEGER NOT NULL REFERENCES captures (id),
    position        INTEGER NOT NULL,
    outcome         TEXT NOT NULL DEFAULT 'pending'
                    CHECK (outcome IN ('removed', 'restricted', 'no_violation', 'already_gone',
                                       'pending')),
    outcome_at      TEXT,                       -- when the platform acted (their time, UTC)
    outcome_comment TEXT,
    outcome_recorded_at TEXT,
    PRIMARY KEY (pack_id, capture_id)
) WITHOUT ROWID;
CREATE INDEX pack_items_capture ON pack_items (capture_id);

-- The normalised indicators each sealed pack mentioned, so a later pack can cite
-- the earlier references that named the same phone, handle, URL ...
CREATE TABLE pack_indicators (
    pack_id    INTEGER NOT NULL REFERENCES packs (id),
    kind       TEXT NOT NULL,
    normalized TEXT NOT NULL,
    PRIMARY KEY (pack_id, kind, normalized)
) WITHOUT ROWID;
CREATE INDEX pack_indicators_value ON pack_indicators (kind, normalized);

-- Every delivery attempt (the outbox's log).
CREATE TABLE pack_attempts (
    id          INTEGER PRIMARY KEY,
    pack_id     INTEGER NOT NULL REFERENCES packs (id),
    at          TEXT NOT NULL,
    transport   TEXT NOT NULL,
    destination TEXT,
    result      TEXT NOT NULL CHECK (result IN ('sent', 'failed', 'uncertain', 'confirmed')),
    error       TEXT
);
CREATE INDEX pack_attempts_pack ON pack_attempts (pack_id, id);
