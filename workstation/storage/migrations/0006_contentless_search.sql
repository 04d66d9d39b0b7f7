-- 0006: the search index keeps no copy of the text, and knows synonyms.
--
-- Contentless (content = ''): the index held the folded text of every capture a
-- second time (about 1 KB a capture), only for FTS5's snippet(), which could show
-- nothing but folded text anyway; snippets are now made from the text as read
-- (workstation/reading/searchquery.py).  contentless_delete lets a capture's row be
-- replaced when it is indexed again.
--
-- Each indexed text now also carries one token per synonym it contains
-- ("synwhatsapp" for WhatsApp, واتساب, واتس اب ...: resources/lexicon/synonyms), so a
-- search for any of them asks for one token instead of an OR of twenty.  SQL cannot
-- compute those, so the index starts empty and the upgrade re-indexes every capture
-- (Workspace.open -> ReadingService.backfill_derived, as for any capture missing from
-- the index).
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5 (
    ocr_text, notes, metadata, indicators,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3 4',
    content = '', contentless_delete = 1
);
