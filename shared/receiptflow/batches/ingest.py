"""The drop folder: ``inbox/<tenant>/<folder>/…`` becomes a batch when the folder closes.

A folder closes (docs/deploy.md, "The S3 drop folder"):

- **at once** when an object named ``_READY`` lands in it;
- **``quiet_seconds`` after its last object** otherwise. Every object event records new activity in the
  folder (a fresh token, ``FolderLedger.touch``) and sets a timer carrying that token
  (``FolderTimer.schedule``). A timer whose token is still the folder's latest when it fires closes the
  folder; any other finds it superseded, because a later object set a later timer. Every touch is followed
  by its own timer, so the last object's timer closes the folder (a timer that keeps failing ends in a
  dead-letter queue, which alarms);
- **``max_open_seconds`` after its activity began** when it never goes quiet (files keep arriving less than
  ``quiet_seconds`` apart): the first timer that fires after that bound closes the folder anyway, and says
  so (``IngestOutcome.reason``; the handler logs a warning and counts ``InboxFoldersNeverQuiet``). Files
  that keep arriving make the next batch. So nothing waits forever.

A close takes every object of the folder that no earlier close took, so files that arrive after a close
make a new batch of just those files and no file is ever in two batches:

1. the close is recorded (``open_close``, state ``claiming``) under a deterministic id, which is also the
   batch id: a hash of the marker's identity (sequencer, ETag, version) or of the timer's token;
2. it lists the folder and claims each object nobody holds (``claim``: a conditional write per object,
   refused once the close is frozen; an object overwritten with new bytes may be claimed again);
3. it freezes (``freeze``): from here its object set is final, whoever reads it;
4. the batch is created from the names the close holds (item ids are positions in that sorted, frozen
   list), then started with a compare-and-set.

Every step is idempotent and safe to run concurrently with itself, so a redelivered marker event, a timer
that fires twice or a retried close finishes the same batch and starts nothing new; two different closes
racing (a marker and a timer) split the objects between them, each object to exactly one. Keys ending in
``/`` (console "folders") and the marker are not items; every other object is one item, an empty or
non-image file becoming that item's typed error, never a silent drop.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from receiptflow.batches.service import BatchService
from receiptflow.blob_keys import READY_MARKER, InboxKey, parse_inbox_key
from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchItem, BatchStatus
from receiptflow.ports import (
    CloseState,
    FolderLedger,
    FolderTick,
    FolderTimer,
    ObjectLister,
    StoredObject,
)


@dataclass(frozen=True)
class ObjectCreated:
    """The parts of an "Object Created" event the rule needs."""

    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    sequencer: str | None = None
    version_id: str | None = None


class IngestResult(StrEnum):
    """What the rule did with one event or timer."""

    IGNORED = "ignored"
    WAITING = "waiting"  # an object arrived: the folder closes after the quiet period
    SUPERSEDED = "superseded"  # a timer that a later object replaced
    STARTED = "started"
    ALREADY_STARTED = "already_started"
    EMPTY = "empty"  # the close found no object that no earlier close took


NEVER_QUIET = "the folder never went quiet"


@dataclass(frozen=True)
class IngestOutcome:
    """The result of one event or timer, with the batch it concerns (if any)."""

    result: IngestResult
    reason: str = ""
    batch_id: str | None = None
    tenant_id: str | None = None
    items: int = 0
    execution: str | None = None


def _close_id(*parts: str) -> str:
    return "inbox-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def inbox_batch_id(inbox: InboxKey, event: ObjectCreated) -> str:
    """The close (and batch) id a marker event stands for: the same for every delivery of that event, new
    for a new marker upload (each write gets a new sequencer)."""
    return _close_id(
        inbox.tenant_id, inbox.folder, event.sequencer or "", event.etag or "", event.version_id or ""
    )


def quiet_batch_id(tick: FolderTick) -> str:
    """The close (and batch) id of a quiet-close timer: one per token, so per object event."""
    return _close_id("quiet", tick.tenant_id, tick.folder, tick.token)


def is_item(name: str) -> bool:
    """True for a name in a folder that is a file to scan (not a placeholder, not the marker)."""
    return bool(name) and not name.endswith("/") and name != READY_MARKER


@dataclass(frozen=True)
class DropFolders:
    """The drop-folder rule over its ports (see the module docstring). ``timer`` None or
    ``quiet_seconds`` 0: only ``_READY`` closes a folder; ``max_open_seconds`` 0: no bound on a folder
    that never goes quiet."""

    service: BatchService
    objects: ObjectLister
    ledger: FolderLedger
    timer: FolderTimer | None = None
    quiet_seconds: int = 0
    max_open_seconds: int = 0
    clock: Callable[[], float] = field(default=time.time)

    def on_object(self, event: ObjectCreated) -> IngestOutcome:
        """An object landed: a marker closes its folder now, any other file sets the folder's timer."""
        inbox = parse_inbox_key(event.key)
        if inbox is None:
            return IngestOutcome(IngestResult.IGNORED, "not a file under inbox/<tenant>/<folder>/")
        if inbox.is_marker:
            return self.close(inbox.tenant_id, inbox.folder, inbox_batch_id(inbox, event))
        if self.timer is None or self.quiet_seconds <= 0:
            return IngestOutcome(
                IngestResult.IGNORED, f"waiting for {READY_MARKER}", tenant_id=inbox.tenant_id
            )
        token = self.ledger.touch(inbox.tenant_id, inbox.folder)
        self.timer.schedule(FolderTick(inbox.tenant_id, inbox.folder, token), self.quiet_seconds)
        return IngestOutcome(
            IngestResult.WAITING,
            f"the folder closes {self.quiet_seconds} s after its last object (or at {READY_MARKER})",
            tenant_id=inbox.tenant_id,
        )

    def on_tick(self, tick: FolderTick) -> IngestOutcome:
        """A quiet-close timer fired: close the folder unless a later object superseded it (a close this
        timer already opened is finished either way)."""
        close_id = quiet_batch_id(tick)
        opened = self.ledger.close_state(tick.tenant_id, tick.folder, close_id) is not None
        if opened or self.ledger.latest(tick.tenant_id, tick.folder) == tick.token:
            return self.close(tick.tenant_id, tick.folder, close_id)
        since = self.ledger.active_since(tick.tenant_id, tick.folder)
        if self.max_open_seconds <= 0 or since is None or self.clock() - since < self.max_open_seconds:
            return IngestOutcome(
                IngestResult.SUPERSEDED, "a later object reset the folder's timer", tenant_id=tick.tenant_id
            )
        outcome = self.close(tick.tenant_id, tick.folder, close_id)
        if outcome.result is not IngestResult.STARTED:
            return outcome
        reason = (
            f"{NEVER_QUIET} for {self.quiet_seconds} s in {self.max_open_seconds} s: closed anyway; "
            "files arriving now make the next batch"
        )
        return replace(outcome, reason=reason)

    def close(self, tenant_id: str, folder: str, close_id: str) -> IngestOutcome:
        """Close the folder: claim what no earlier close took, freeze, make and start the batch."""
        prefix = InboxKey(tenant_id, folder, READY_MARKER).folder_prefix
        began = self.clock()
        if self.ledger.open_close(tenant_id, folder, close_id) is CloseState.CLAIMING:
            held = self.ledger.claims(tenant_id, folder)
            fresh = []
            for obj in self.objects.list_objects(prefix):
                name = obj.key[len(prefix) :]
                claim = held.get(name)
                taken = claim is not None and claim.close_id != close_id and claim.etag == obj.etag
                if is_item(name) and not taken:
                    fresh.append(StoredObject(name, obj.etag))
            self.ledger.claim(tenant_id, folder, close_id, fresh)
            self.ledger.freeze(tenant_id, folder, close_id)
            self.ledger.settle(tenant_id, folder, began)
        names = self.ledger.claimed(tenant_id, folder, close_id)
        if not names:
            return IngestOutcome(
                IngestResult.EMPTY, "no file that an earlier close did not take", close_id, tenant_id
            )
        items = [
            BatchItem(batch_id=close_id, item_id=f"{n:05d}", source=name, blob_key=prefix + name)
            for n, name in enumerate(names, start=1)
        ]
        return self._start(
            Batch(batch_id=close_id, tenant_id=tenant_id, name=folder, expected_files=len(items)), items
        )

    def _start(self, batch: Batch, items: list[BatchItem]) -> IngestOutcome:
        service, tenant_id, batch_id = self.service, batch.tenant_id, batch.batch_id
        try:
            batch = service.create(batch)
        except ConflictError:
            batch = service.get(tenant_id, batch_id)
        if batch.status is BatchStatus.CREATED:
            try:
                service.add_items(batch, items)  # idempotent per item id
                batch = service.start(service.get(tenant_id, batch_id))
                return IngestOutcome(
                    IngestResult.STARTED, "", batch_id, tenant_id, len(items), batch.execution_arn
                )
            except ConflictError:  # a concurrent delivery started it first
                batch = service.get(tenant_id, batch_id)
        return IngestOutcome(
            IngestResult.ALREADY_STARTED,
            f"batch is {batch.status.value}",
            batch_id,
            tenant_id,
            len(items),
            batch.execution_arn,
        )
