"""Embedded adapters: SQLite (WAL) and the filesystem."""
