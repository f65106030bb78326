"""Benchmarks for Takedown: `python -m bench` runs them, prints Markdown, rewrites BENCHMARKS.md.

`python -m bench --sections http,retroscan --quick` runs some, small, and keeps the rest of
the file. Each module runs alone too: `python -m bench.matching`, `python -m bench.http_load`.
Synthetic data only (random hashes, generated images and video).
"""
