"""Accuracy measurement: the fixed validation split, SROIE task-3 scoring and the eval runner."""
