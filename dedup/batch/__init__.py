"""``dedup report`` over a corpus: the batch stages and the runner that drives them on local processes.

* :mod:`~dedup.batch.local`: the local runner (map, boilerplate, reduce, screen, verify);
* :mod:`~dedup.batch.keytable`: the partitioned band-key table and its reduce;
* :mod:`~dedup.batch.assemble`: verified pairs to the report (sorted, clustered, notices);
* :mod:`~dedup.batch.parallel`: ordered tasks in-process or on a process pool.
"""
