"""Serverless tests: handlers, the real state machine executed under moto, template and ASL validation."""
