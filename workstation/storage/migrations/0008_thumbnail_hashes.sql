-- 0008: the SHA-256 of each capture's gallery thumbnail, recorded when the import made it
-- (and in the capture.import audit entry).  Sealing uses the cached thumbnail as the
-- report's preview only while its bytes still match this hash; otherwise (a capture
-- imported before 0008, a swapped or regenerated thumbnail) the preview is decoded again
-- from the verified original.  Nothing is back-filled: a file already on disk is not
-- trusted after the fact.

CREATE TABLE thumbnail_hashes (
    capture_id INTEGER PRIMARY KEY REFERENCES captures (id),
    sha256     TEXT NOT NULL
);
