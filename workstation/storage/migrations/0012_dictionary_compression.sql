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
