"""Reference clients for receiptflow's documented interfaces (docs/events.md)."""
