"""Benchmarks for Takedown's signals: `python -m bench` runs them and prints Markdown.

`python -m bench --write` also rewrites BENCHMARKS.md at the repository root. Each module
runs alone too: `python -m bench.hashing`, `python -m bench.matching`, `python -m bench.cropping`.
Synthetic data only (random hashes, generated images and video).
"""
