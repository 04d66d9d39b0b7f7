-- 0002: reading the adverts: OCR runs (history kept), indicators, keyword flags,
-- perceptual hashes, and the full-text index.

CREATE TABLE ocr_runs (
    id             INTEGER PRIMARY KEY,
    capture_id     INTEGER NOT NULL REFERENCES captures (id),
    engine         TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    languages      TEXT NOT NULL,          -- e.g. "ara+eng"
    params         TEXT NOT NULL,          -- JSON: psm, preprocessing, scale, ...
    text           TEXT NOT NULL,          -- as read (digits not normalised)
    words          TEXT NOT NULL,          -- JSON list of words with boxes and confidences
    confidence     REAL,
    duration       REAL NOT NULL,
    created_at     TEXT NOT NULL,
    analyst        TEXT NOT NULL
);
CREATE INDEX ocr_runs_capture ON ocr_runs (capture_id, id);

-- Derived from the current OCR text, the notes and the metadata; rebuilt when they change.
CREATE TABLE indicators (
    id         INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES captures (id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    normalized TEXT NOT NULL,
    source     TEXT NOT NULL,             -- ocr | notes | metadata
    ocr_run_id INTEGER REFERENCES ocr_runs (id),
    box        TEXT                       -- JSON [x, y, w, h] in image pixels, or NULL
);
CREATE INDEX indicators_normalized ON indicators (kind, normalized);
CREATE INDEX indicators_capture ON indicators (capture_id);

CREATE TABLE keyword_hits (
    capture_id INTEGER NOT NULL REFERENCES captures (id),
    term       TEXT NOT NULL,
    category   TEXT NOT NULL,
    language   TEXT NOT NULL,
    source     TEXT NOT NULL
);
CREATE INDEX keyword_hits_capture ON keyword_hits (capture_id);

CREATE TABLE capture_flags (
    capture_id INTEGER PRIMARY KEY REFERENCES captures (id),
    flagged    INTEGER NOT NULL,
    score      REAL NOT NULL,
    categories TEXT NOT NULL              -- JSON list
);

-- PDQ perceptual hash (hex, 256 bits) and its quality 0-100, computed at import.
CREATE TABLE image_hashes (
    capture_id INTEGER PRIMARY KEY REFERENCES captures (id),
    pdq        TEXT NOT NULL,
    quality    INTEGER NOT NULL
);

-- Full-text index over folded text (diacritics and Arabic harakat removed,
-- Arabic/Persian letter variants and digits unified, see workstation/textnorm.py).
CREATE VIRTUAL TABLE search_index USING fts5 (
    ocr_text, notes, metadata, indicators,
    tokenize = "unicode61 remove_diacritics 2"
);
