"""Where an index keeps its articles: one protocol (:mod:`~dedup.stores.base`); SQLite, Redis, memory.

What a store must guarantee and how to add one: ``docs/stores.md``.
"""
