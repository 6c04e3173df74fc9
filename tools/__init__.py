"""Build and maintenance tools for the book (not part of the nnbook package)."""
