-- 0010: cases passed between analysts' workspaces (workstation/exchange/).
--
-- colleagues: other analysts' workspaces, kept like contacts: the age recipient a case
-- bundle is encrypted to (their `key export --age`), and the minisign public key their
-- bundles must be signed with, each with a fingerprint to read over the phone.
-- Removing a colleague keeps the row (removed_at): imports name it.
--
-- case_imports: one row per bundle merged in, with what continuity needs: who sent it,
-- the bundle's SHA-256, the sending workspace's id and audit head, and the audit entries
-- the bundle carried (the foreign segment, verified against its own chain at import).

CREATE TABLE colleagues (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL,
    recipient            TEXT NOT NULL,          -- age1... (canonical)
    fingerprint          TEXT NOT NULL,          -- of the recipient (eight groups of four)
    minisign             TEXT NOT NULL,          -- minisign public key, base64
    minisign_id          TEXT NOT NULL,          -- its key id (hex)
    minisign_fingerprint TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    removed_at           TEXT
);
CREATE UNIQUE INDEX colleagues_recipient ON colleagues (recipient) WHERE removed_at IS NULL;

CREATE TABLE case_imports (
    id             INTEGER PRIMARY KEY,
    bundle_sha256  TEXT NOT NULL UNIQUE,   -- of the encrypted bundle file as received
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    colleague_id   INTEGER REFERENCES colleagues (id),
    sender         TEXT NOT NULL,          -- the analyst the bundle names
    workspace_id   TEXT NOT NULL,          -- the sending workspace's id
    foreign_head   TEXT NOT NULL,          -- JSON {seq, hash}: the sender's audit head
    records_sha256 TEXT NOT NULL,          -- of the bundle's case.json
    segment        TEXT NOT NULL,          -- JSON: the audit entries the bundle carried
    tokens         TEXT NOT NULL,          -- JSON: its trusted timestamps (DER, base64)
    summary        TEXT NOT NULL,          -- JSON: what merged and what conflicted
    imported_at    TEXT NOT NULL,
    imported_by    TEXT NOT NULL
);
CREATE INDEX case_imports_case ON case_imports (case_id);
