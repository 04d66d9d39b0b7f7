-- 0011: a smaller database (issue 12: at most 4 KB a capture at 100,000 captures,
-- every run kept; it was 6.3 KB).  Nothing is lost: every value reads back exactly as
-- it was written (workstation/storage/compact.py), so every hash still matches.
--
-- The audit trail's rows move to audit_entries, and audit_log becomes a view that
-- gives them back as before:
--   * details: compressed (aw_deflate; the canonical JSON the entry's hash covers);
--   * hash: its 32 bytes instead of 64 hex digits (kept as text when it was not
--     64 lowercase hex digits: a row changed behind the application's back stays
--     exactly as it was found, for verify to report);
--   * prev_hash: NULL when it is the previous entry's hash (GENESIS for entry 1), as
--     every entry the application appends; any other value (a broken chain found at
--     the upgrade) is kept as it was.  The view derives it again from entry seq - 1,
--     so deleting an entry still breaks the chain after it.
CREATE TABLE audit_entries (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    analyst   TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   NOT NULL,      -- BLOB (compressed) or TEXT: read with aw_inflate
    prev_hash,               -- NULL: the previous entry's hash
    hash      NOT NULL       -- BLOB of 32 bytes, or TEXT as found
);
INSERT INTO audit_entries (seq, at, analyst, action, subject, details, prev_hash, hash)
    SELECT a.seq, a.at, a.analyst, a.action, a.subject, aw_deflate(a.details),
           CASE WHEN a.prev_hash IS (CASE WHEN a.seq = 1 THEN
                    '0000000000000000000000000000000000000000000000000000000000000000'
                    ELSE (SELECT p.hash FROM audit_log p WHERE p.seq = a.seq - 1) END)
                THEN NULL ELSE a.prev_hash END,
           CASE WHEN typeof(a.hash) = 'text' AND length(a.hash) = 64
                     AND a.hash NOT GLOB '*[^0-9a-f]*'
                THEN unhex(a.hash) ELSE a.hash END
    FROM audit_log a;
DROP INDEX audit_subject;
DROP TABLE audit_log;
CREATE INDEX audit_subject ON audit_entries (subject);
CREATE VIEW audit_log (seq, at, analyst, action, subject, details, prev_hash, hash) AS
    SELECT e.seq, e.at, e.analyst, e.action, e.subject, aw_inflate(e.details),
           coalesce(e.prev_hash,
                    CASE WHEN e.seq = 1 THEN
                        '0000000000000000000000000000000000000000000000000000000000000000'
                    ELSE (SELECT CASE WHEN typeof(p.hash) = 'blob' THEN lower(hex(p.hash))
                                 ELSE p.hash END
                          FROM audit_entries p WHERE p.seq = e.seq - 1) END,
                    ''),
           CASE WHEN typeof(e.hash) = 'blob' THEN lower(hex(e.hash)) ELSE e.hash END
    FROM audit_entries e;

-- The text as read: compressed (aw_deflate); queries read it with aw_inflate(text).
UPDATE ocr_runs SET text = aw_deflate(text);
