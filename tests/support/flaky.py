"""A boto3 client wrapper that fails one operation a few times before letting calls through.

It stands where a real AWS failure would happen (after botocore's own retries), so adapters can be
tested for how they translate and survive throttling without a network.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def client_error(operation: str, code: str, **extra: Any) -> ClientError:
    """A ``ClientError`` as botocore raises it for ``code`` (extra top-level response fields allowed)."""
    response: Any = {"Error": {"Code": code, "Message": f"simulated {code}"}, **extra}
    return ClientError(response, operation)


class FlakyClient:
    """Delegates to ``real`` except that ``method`` raises ``error`` for its first ``failures`` calls."""

    def __init__(self, real: Any, method: str, error: Exception, failures: int) -> None:
        self._real = real
        self._method = method
        self._error = error
        self.failures_left = failures
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name != self._method:
            return attribute

        def flaky(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.failures_left > 0:
                self.failures_left -= 1
                raise self._error
            return attribute(*args, **kwargs)

        return flaky
