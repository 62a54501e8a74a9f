"""Where an index keeps its articles: one protocol (:mod:`~dedup.stores.base`), SQLite and Redis."""
