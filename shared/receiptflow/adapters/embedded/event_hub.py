"""An in-process, thread-safe ``EventPublisher`` with per-batch subscribers and a bounded history."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable

from receiptflow.models import Event

logger = logging.getLogger(__name__)

Callback = Callable[[Event], None]


class EventHub:
    """Fan-out of progress events to callbacks, by batch.

    Callbacks run on the publisher's thread, outside the hub's lock; one that raises is logged and the
    others still get the event. The last ``history_size`` events of the last ``max_batches`` batches
    are kept for late subscribers (replay from a ``seq``)."""

    def __init__(self, history_size: int = 1000, max_batches: int = 256) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[Callback]] = {}
        self._history: OrderedDict[str, deque[Event]] = OrderedDict()
        self._history_size = history_size
        self._max_batches = max_batches

    def publish(self, event: Event) -> None:
        """Record ``event`` and hand it to the batch's subscribers."""
        with self._lock:
            history = self._history.get(event.batch_id)
            if history is None:
                history = self._history[event.batch_id] = deque(maxlen=self._history_size)
                while len(self._history) > self._max_batches:
                    self._history.popitem(last=False)
            else:
                self._history.move_to_end(event.batch_id)
            history.append(event)
            callbacks = list(self._subscribers.get(event.batch_id, ()))
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                logger.exception("event subscriber failed", extra={"batch_id": event.batch_id})

    def subscribe(self, batch_id: str, callback: Callback) -> Callable[[], None]:
        """Call ``callback`` for each new event of ``batch_id``; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.setdefault(batch_id, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(batch_id, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self._subscribers.pop(batch_id, None)

        return unsubscribe

    def history(self, batch_id: str, after_seq: int = 0) -> list[Event]:
        """Kept events of ``batch_id`` with ``seq > after_seq``, oldest first."""
        with self._lock:
            return [e for e in self._history.get(batch_id, ()) if e.seq > after_seq]
