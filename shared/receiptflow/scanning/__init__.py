"""Scanning one image: intake, cache, provider, checks (``Scanner``), and the work a process pool runs."""
