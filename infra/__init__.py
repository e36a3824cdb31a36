"""Deployment checks run by `make validate` and the serverless tests."""
