"""A ``Dispatcher`` that only records what the batch service asks of it: unit tests then play the workers'
part through the service's ``ItemRecorder`` methods (claim, record, finish), exactly as the process pool and
the Lambda steps do. The real dispatchers run in tests/integration and tests/e2e/behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

from receiptflow.errors import StoreUnavailableError
from receiptflow.ports import Run


@dataclass
class ManualDispatcher:
    """Records runs and stops; ``fail_next`` makes the next start fail like a busy executor."""

    runs: list[Run] = field(default_factory=list)
    stops: list[tuple[str, str | None]] = field(default_factory=list)
    fail_next: bool = False

    def start(self, run: Run) -> str | None:
        """Record ``run``; its execution id names it."""
        if self.fail_next:
            self.fail_next = False
            raise StoreUnavailableError("the executor is busy")
        self.runs.append(run)
        return f"exec-{run.batch_id}-{run.name}"

    def stop(self, batch_id: str, execution_id: str | None) -> None:
        """Record the stop."""
        self.stops.append((batch_id, execution_id))
