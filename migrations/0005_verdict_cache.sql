-- Version 5: the content-hash verdict cache. An image whose bytes were analysed before, in any
-- source, reuses that verdict (label, scores, findings) instead of being decoded, classified and
-- OCR'd again, as long as the analysis would be the same: the key is model version, policy
-- version and whether OCR ran. Only complete analyses (outcome 'scanned') carry a key.
ALTER TABLE items ADD COLUMN verdict_key text;
CREATE INDEX items_verdict ON items (content_sha256, verdict_key) WHERE verdict_key IS NOT NULL;
