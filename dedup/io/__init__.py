"""Articles in and reports out: readers of files and streams, JSON and table rendering, the HTML page."""
