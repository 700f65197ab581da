"""Operator tooling: fetching weights, checking a machine (doctor), FLOP and cost arithmetic.

Nothing here imports torch at module import time: `ltx-serve doctor` must be able to say
"torch cannot see a GPU" rather than crash, and `weights download` runs on machines that
only move files.
"""
