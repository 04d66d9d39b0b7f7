-- Prefix indexes for 2-, 3- and 4-character prefixes, so that "bo*", "trav*" or
-- "+4474*" read one index entry per prefix instead of merging the lists of every
-- word that starts with it (at 100,000 captures, about 2x faster on such queries,
-- for an index about half as large again: bench/search_bench.py).
-- FTS5 cannot add prefix indexes to a table: it is rebuilt from its own content.
CREATE VIRTUAL TABLE search_index_v4 USING fts5 (
    ocr_text, notes, metadata, indicators,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3 4'
);
INSERT INTO search_index_v4 (rowid, ocr_text, notes, metadata, indicators)
    SELECT rowid, ocr_text, notes, metadata, indicators FROM search_index;
DROP TABLE search_index;
ALTER TABLE search_index_v4 RENAME TO search_index;
INSERT INTO search_index (search_index) VALUES ('optimize');
