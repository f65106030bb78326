"""Takedown: a child-safety notice-and-takedown service."""

__version__ = "0.1.0"
