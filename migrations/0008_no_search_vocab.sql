-- The search vocabulary goes: a prefix's distinct words are found in search_terms itself,
-- one seek from each word to the next, and no query read the counts. Every edit, undo and
-- import paid for keeping it (a million-row import: about a second and 46 MB).

DROP TABLE search_vocab;
