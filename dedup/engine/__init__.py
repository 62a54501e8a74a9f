"""The detection engine: pure functions and types over texts and arrays (no files, processes or stores).

* :mod:`~dedup.engine.normalize`: words with their offsets, normalised and hashed;
* :mod:`~dedup.engine.boilerplate`: known boilerplate masks and the one learned-line rule;
* :mod:`~dedup.engine.signature`: shingles, MinHash signatures, LSH band keys;
* :mod:`~dedup.engine.lsh`: band-key buckets to candidate pairs;
* :mod:`~dedup.engine.align`: the candidate screen, chains of seeds, shared passages;
* :mod:`~dedup.engine.verify`: documents and the verified, classified pair;
* :mod:`~dedup.engine.cluster`: star clusters of copies;
* :mod:`~dedup.engine.diff`: the words that differ inside a fuzzy passage, for renderers.
"""
