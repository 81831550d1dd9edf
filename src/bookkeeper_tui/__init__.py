"""Bookkeeper: run a book of B2B customer accounts from the terminal."""

__version__ = "0.1.0"
