"""The pre-ingest filter: a persistent index that decides, article by article, whether one is new."""
