-- 0006: a channel a platform can answer: the platform's own signing key for signed
-- replies, and per-item requests in alert packs.

-- The platform's minisign public key (the base64 line of its .pub file), for
-- verifying the outcome files it signs; NULL when the contact has none on record.
ALTER TABLE contacts ADD COLUMN minisign_key TEXT;

-- What is asked of the platform for this one item, where it differs from the pack's
-- defaults, and why an item without a URL or content id was sent anyway:
-- JSON {"action", "priority", "deadline", "policy", "no_locator_reason"}; '{}' for
-- items of packs built before 0006 (the pack's values apply).
ALTER TABLE pack_items ADD COLUMN request TEXT NOT NULL DEFAULT '{}';
