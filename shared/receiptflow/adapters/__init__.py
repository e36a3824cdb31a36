"""Adapters behind the ports: ``embedded`` (SQLite, filesystem) and ``aws`` (S3, DynamoDB, ...)."""
