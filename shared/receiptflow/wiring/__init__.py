"""Composition roots: every adapter is built here, once, for one explicit mode (local or AWS)."""
