"""receiptflow: turn piles of receipt images into checked expense records."""

__version__ = "0.1.0"
