"""The ``dedup`` command line: thin click commands that parse options, call the library and render."""
