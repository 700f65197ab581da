"""Persistent jobs: the queue, the one GPU worker, results, webhooks and retention.

`protocols.py` holds the seams (JobStore, JobQueue); `sqlite.py` is the single-host backend.
"""
