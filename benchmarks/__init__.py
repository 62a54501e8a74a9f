"""Benchmarks: quality on labelled data, and the synthetic news-reuse generator they use."""
