-- 0001: the evidence workspace: settings, cases, captures, tags, audit trail.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE cases (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at TEXT NOT NULL
);

CREATE TABLE captures (
    id                 INTEGER PRIMARY KEY,
    sha256             TEXT NOT NULL UNIQUE,
    md5                TEXT NOT NULL,
    size               INTEGER NOT NULL,
    format             TEXT NOT NULL,
    width              INTEGER NOT NULL,
    height             INTEGER NOT NULL,
    captured_at        TEXT NOT NULL,
    captured_at_source TEXT NOT NULL CHECK (captured_at_source IN ('analyst', 'file', 'system')),
    imported_at        TEXT NOT NULL,
    analyst            TEXT NOT NULL,
    capture_method     TEXT NOT NULL CHECK (capture_method IN ('import', 'paste', 'screen', 'watch')),
    original_filename  TEXT,
    source_url         TEXT,
    platform           TEXT CHECK (platform IN ('facebook', 'instagram', 'tiktok', 'youtube', 'x',
                                                'telegram', 'whatsapp', 'other')),
    handle             TEXT,
    content_id         TEXT,
    case_id            INTEGER REFERENCES cases (id),
    notes              TEXT NOT NULL DEFAULT '',
    app_version        TEXT NOT NULL
);
CREATE INDEX captures_case ON captures (case_id);
CREATE INDEX captures_platform ON captures (platform);

CREATE TABLE capture_tags (
    capture_id INTEGER NOT NULL REFERENCES captures (id),
    tag        TEXT NOT NULL,
    PRIMARY KEY (capture_id, tag)
) WITHOUT ROWID;
CREATE INDEX capture_tags_tag ON capture_tags (tag);

-- Append-only, hash-chained.  The application never updates or deletes rows;
-- `workstation verify` detects any change made behind its back.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    analyst   TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit_log (subject);

-- The chain's head, updated in the same transaction as each append, so that
-- deleting the newest entries is noticed.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
