-- 0005: reading you can trust: the advert's languages and what was left unread,
-- indicators the analyst confirms or rejects, and crop-proof repost hashes.

-- The advert's language(s) as identified (e.g. "fas+eng": what the advert is written
-- in, not the models tried), the share of the page's text regions that were read
-- (0..1), and the regions with ink that could not be read (JSON [[x, y, w, h], ...]
-- in image pixels).  Runs made before 0005 have '' / NULL / '[]'.
ALTER TABLE ocr_runs ADD COLUMN advert_languages TEXT NOT NULL DEFAULT '';
ALTER TABLE ocr_runs ADD COLUMN coverage REAL;
ALTER TABLE ocr_runs ADD COLUMN unread TEXT NOT NULL DEFAULT '[]';

-- For an OCR indicator: the platform its text names ("Instagram: @x" -> instagram),
-- the lowest confidence of the words it was read from, and why the analyst should
-- look at it before it goes out (low confidence, joined across lines, read
-- differently by another pass), or NULL.
ALTER TABLE indicators ADD COLUMN platform TEXT;
ALTER TABLE indicators ADD COLUMN confidence REAL;
ALTER TABLE indicators ADD COLUMN attention TEXT;

-- The analyst's verdict on an indicator of a capture.  Kept apart from `indicators`
-- (which is rebuilt whenever the text is read again) so a verdict survives a new OCR
-- run; every verdict is also in the audit trail.
CREATE TABLE indicator_reviews (
    capture_id  INTEGER NOT NULL REFERENCES captures (id),
    kind        TEXT NOT NULL,
    normalized  TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
    analyst     TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    PRIMARY KEY (capture_id, kind, normalized)
) WITHOUT ROWID;

-- Perceptual hashes of parts of the image that survive crops: the content region
-- (uniform bars such as status and navigation bars removed) and overlapping parts
-- of it.  `region` is a small number (see workstation/reading/reposts.py); `pdq`
-- is the 256-bit hash as 32 bytes.
CREATE TABLE image_region_hashes (
    capture_id INTEGER NOT NULL REFERENCES captures (id),
    region     INTEGER NOT NULL,
    pdq        BLOB NOT NULL,
    quality    INTEGER NOT NULL,
    PRIMARY KEY (capture_id, region)
) WITHOUT ROWID;

-- A MinHash sketch of the shingles of the capture's folded OCR text: the same words
-- are the same advert, whatever the crop.
CREATE TABLE text_sketches (
    capture_id INTEGER PRIMARY KEY REFERENCES captures (id),
    sketch     BLOB NOT NULL
);

-- The search index keeps no copy of the text, and knows synonyms (was 0006 in development).
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
