"""The version of dedup (one place: the package metadata and every output read it from here)."""

__version__ = "0.1.0"
