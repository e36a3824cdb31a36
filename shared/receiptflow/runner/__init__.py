"""The local batch runner: a bounded pool of worker processes fed and recorded by the main process."""

from receiptflow.runner.local import LocalRunner, final_status

__all__ = ["LocalRunner", "final_status"]
