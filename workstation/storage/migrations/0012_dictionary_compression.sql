-- 0012: compression from preset dictionaries (issue 12: at most 4 KB a capture).
--
-- A few hundred bytes of JSON or text compress poorly on their own: zlib has nothing
-- to refer back to.  New values of the compressed columns now start from a frozen
-- dictionary of the application's own JSON or of the lexicon's words (versions 2 and
-- 3 of workstation/storage/compact.py), which takes an audit entry's details from
-- about 380 to 180 bytes.  Values written before stay as they are (version 1 and
-- text are still read); no value is rewritten, so nothing in the audit trail changes.
--
-- An OCR run's parameters (the script probe, the candidates, the coverage: 250-420
-- bytes of JSON a run) are compressed too, and read with aw_inflate(params).  The
-- schema version changes so that an older release, which would read them as JSON,
-- refuses the workspace.
UPDATE ocr_runs SET params = aw_deflate(params) WHERE typeof(params) = 'text';

-- PDQ and thumbnail hashes as their 32 bytes instead of 64 hex digits (read back as
-- hex: compact.hex_sql).  A value that is not 64 lowercase hex digits is kept as it
-- was found, for verify to report.
UPDATE image_hashes SET pdq = unhex(pdq)
    WHERE typeof(pdq) = 'text' AND length(pdq) = 64 AND pdq NOT GLOB '*[^0-9a-f]*';
UPDATE thumbnail_hashes SET sha256 = unhex(sha256)
    WHERE typeof(sha256) = 'text' AND length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*';

-- The search index without its 2-character prefix index (prefix = '3 4'): about 280
-- bytes a capture, a quarter of the index.  Only a search for a 2-letter prefix used
-- it ("bo*": every word starting "bo"); FTS5 now merges the lists of those words
-- instead, about 4 ms at 100,000 captures (bench/search_bench.py).  3- and 4-letter
-- prefixes ("قار*", "trav*", "+4474*") keep theirs; longer ones never had one.
-- The index is contentless, so it cannot be rebuilt from itself: it starts empty and
-- the upgrade indexes every capture again (Workspace.open ->
-- ReadingService.backfill_derived, as for any capture missing from the index, with
-- progress), as 0005 did.
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5 (
    ocr_text, notes, metadata, indicators,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '3 4',
    content = '', contentless_delete = 1
);

-- Times as 13 digits of milliseconds since 1970 (compact.pack_time: 11 bytes less) in
-- the audit trail and the OCR runs, given back as written (compact.time_sql); a time
-- not in the application's one form is kept as it was found (13 digits that are not a
-- packed time, as the BLOB of their bytes, read back as the same text).
UPDATE audit_entries SET at = aw_pack_time(at);
UPDATE ocr_runs SET created_at = aw_pack_time(created_at);
DROP VIEW audit_log;
CREATE VIEW audit_log (seq, at, analyst, action, subject, details, prev_hash, hash) AS
    SELECT e.seq,
           CASE WHEN typeof(e.at) = 'text' AND length(e.at) = 13
                     AND CAST(e.at AS TEXT) NOT GLOB '*[^0-9]*'
                THEN strftime('%Y-%m-%dT%H:%M:%fZ', e.at / 1000.0, 'unixepoch')
                WHEN typeof(e.at) = 'blob' AND length(e.at) = 13
                     AND CAST(e.at AS TEXT) NOT GLOB '*[^0-9]*'
                THEN CAST(e.at AS TEXT)
                ELSE e.at END,
           e.analyst, e.action, e.subject, aw_inflate(e.details),
           coalesce(e.prev_hash,
                    CASE WHEN e.seq = 1 THEN
                        '0000000000000000000000000000000000000000000000000000000000000000'
                    ELSE (SELECT CASE WHEN typeof(p.hash) = 'blob' THEN lower(hex(p.hash))
                                 ELSE p.hash END
                          FROM audit_entries p WHERE p.seq = e.seq - 1) END,
                    ''),
           CASE WHEN typeof(e.hash) = 'blob' THEN lower(hex(e.hash)) ELSE e.hash END
    FROM audit_entries e;

-- Indicators are looked up by their normalised value (captures sharing a phone number,
-- a handle): the index needs no kind before it (about 30 bytes a capture); the kind is
-- checked on the row.
DROP INDEX indicators_normalized;
CREATE INDEX indicators_normalized ON indicators (normalized);
