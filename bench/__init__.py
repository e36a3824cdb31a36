"""Benchmarks: ``bench/run.py`` is the release benchmark (``make bench``)."""
