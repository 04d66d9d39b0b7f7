-- 0009: what a court needs: exhibit references, redacted copies with their logs, and
-- RFC 3161 trusted timestamps queued offline.  Rows are never updated except where a
-- column says so, and never deleted; every change is audited.

-- An exhibit reference in the convention of witness statements (the analyst's
-- initials and a number: "AB/1"), assigned once per capture, never reused: a
-- reference stays taken even if its capture were ever gone.
CREATE TABLE exhibits (
    capture_id  INTEGER PRIMARY KEY REFERENCES captures (id),
    ref         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL
);

-- A redacted copy of a capture: a new derived file (redacted/ab/<sha256>.png), made by
-- applying the box list (the redaction log, JSON: [{"x","y","w","h","reason","source"}])
-- to the verified original with a solid fill.  Applying the log again to the original
-- reproduces the copy byte for byte (verify checks it).  The newest row of a capture is
-- its current copy; older ones are kept (what earlier reports used).
CREATE TABLE redactions (
    id              INTEGER PRIMARY KEY,
    capture_id      INTEGER NOT NULL REFERENCES captures (id),
    original_sha256 TEXT NOT NULL,
    sha256          TEXT NOT NULL,          -- the redacted copy's
    boxes           TEXT NOT NULL,          -- the redaction log (canonical JSON)
    log_sha256      TEXT NOT NULL,          -- SHA-256 of ``boxes``
    method          TEXT NOT NULL,          -- how the log is applied (its version)
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);
CREATE INDEX redactions_capture ON redactions (capture_id, id);

-- A pack item sent as its redacted copy rather than the original (the analyst's
-- choice, recorded in the manifest); NULL: the original.
ALTER TABLE pack_items ADD COLUMN redaction_id INTEGER REFERENCES redactions (id);

-- Trusted timestamps (RFC 3161).  A request is made offline over a SHA-256 (the audit
-- chain's head, a sealed pack's SHA256SUMS, a report) and queued; sending it to a
-- time-stamping authority fills in the response (kept raw, with the certificates the
-- TSA sent), or the last error while it stays queued.
CREATE TABLE timestamps (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('audit', 'pack', 'report')),
    subject     TEXT NOT NULL,              -- 'audit:SEQ', 'pack:ID', 'report:SHA256'
    digest      TEXT NOT NULL,              -- the SHA-256 (hex) that is stamped
    request     BLOB NOT NULL,              -- the DER TimeStampReq
    nonce       TEXT NOT NULL,
    queued_at   TEXT NOT NULL,
    queued_by   TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'stamped')),
    tsa_url     TEXT,
    response    BLOB,                       -- the raw DER TimeStampResp
    gen_time    TEXT,                       -- the TSA's time (UTC)
    stamped_at  TEXT,                       -- when the response was received
    last_error  TEXT
);
CREATE INDEX timestamps_subject ON timestamps (subject);
CREATE INDEX timestamps_state ON timestamps (state);

-- The time-stamping authorities to send requests to, in order, each with the CA
-- certificate(s) (PEM) its tokens are verified against offline.
CREATE TABLE tsa_authorities (
    id        INTEGER PRIMARY KEY,
    url       TEXT NOT NULL UNIQUE,
    ca_pem    TEXT NOT NULL,
    position  INTEGER NOT NULL,
    added_at  TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    removed_at TEXT                         -- no longer used (kept: old tokens name it)
);
