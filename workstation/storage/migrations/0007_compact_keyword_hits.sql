-- 0007: keyword hits stored compactly (the database's size per capture).  Each lexicon
-- term found is one row of `keyword_terms`; a capture's hits are one text in its
-- `capture_flags` row: "ID" + the source letter ('o' OCR text, 'n' notes) per hit,
-- comma-separated (e.g. "12o,40o,7n").  Was one row of five columns per hit plus an
-- index (about 950 bytes a capture).

CREATE TABLE keyword_terms (
    id       INTEGER PRIMARY KEY,
    term     TEXT NOT NULL,
    category TEXT NOT NULL,
    language TEXT NOT NULL,
    UNIQUE (term, category, language)
);

INSERT INTO keyword_terms (term, category, language)
    SELECT DISTINCT term, category, language FROM keyword_hits ORDER BY category, term, language;

ALTER TABLE capture_flags ADD COLUMN hits TEXT NOT NULL DEFAULT '';

UPDATE capture_flags SET hits = coalesce((
    SELECT group_concat(t.id || CASE h.source WHEN 'notes' THEN 'n' ELSE 'o' END, ',')
    FROM keyword_hits h JOIN keyword_terms t
      ON t.term = h.term AND t.category = h.category AND t.language = h.language
    WHERE h.capture_id = capture_flags.capture_id), '');

DROP INDEX keyword_hits_capture;
DROP TABLE keyword_hits;
