"""Fuzz targets (atheris when it is installed, else driven by hypothesis in the tests)."""
