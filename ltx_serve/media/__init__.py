"""Media I/O: input fetching (fetch.py), video decode and encode."""
