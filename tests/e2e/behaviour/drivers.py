"""Two ways to run the same batch scenarios, behind one interface:

- ``LocalDriver``: ``receiptflow.wiring.local`` for real — the batch service, the process-pool dispatcher
  with real worker processes, SQLite, the file blob store and the event hub. Textract is
  ``tests.support.fake_cloud`` on a loopback port, where the workers' own boto3 clients send their calls.
- ``AwsDriver``: ``receiptflow.wiring.aws`` for real — the batch service, the Step Functions dispatcher,
  the real ``batch.asl.json`` executed by moto with the real Lambda handlers in-process
  (``tests.support.serverless_stack``), DynamoDB, S3 and the WebSocket API under moto. Textract is a botocore
  ``Stubber`` on the handlers' client.

Only the provider call is a stand-in in both. A scenario creates a batch, uploads files to their upload
keys, calls the service (what the API routes call), and reads the events a subscriber received.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from botocore.stub import Stubber
from receiptflow.batches.service import BatchService
from receiptflow.blob_keys import upload_prefix
from receiptflow.models import Batch, BatchItem, Event, parse_event
from receiptflow.ports import BlobStore, Run

from tests.support.textract import MINIMAL_EXPENSE

TENANT = "tenant-a"
WAIT_S = 180.0


@dataclass
class Gate:
    """Holds every provider call until released; tells when the first one arrived."""

    arrived: threading.Event
    release: threading.Event

    def wait_arrival(self, timeout: float = WAIT_S) -> None:
        """Block until a provider call is being held (an item is in flight)."""
        assert self.arrived.wait(timeout), "no provider call arrived"


class Driver(Protocol):
    """What a scenario needs from a mode."""

    mode: str
    service: BatchService

    def new_batch(self, batch_id: str, files: list[tuple[str, bytes]]) -> Batch:
        """A created batch with these files uploaded at their upload keys, and a subscriber on it."""
        ...

    def replace(self, batch: Batch, item_id: str, data: bytes) -> None:
        """Upload another file over an item's upload key."""
        ...

    def throttle_next(self, calls: int) -> None:
        """The next ``calls`` provider calls answer ThrottlingException."""
        ...

    def hold(self) -> Gate:
        """From now on provider calls wait until the gate is released."""
        ...

    @property
    def provider_calls(self) -> int:
        """Provider calls that reached the provider so far (throttled ones included)."""
        ...

    def events(self, batch_id: str) -> list[Event]:
        """Every event the batch's subscriber received, in seq order."""
        ...

    def wait_final(self, batch_id: str) -> Batch:
        """The batch once it is final and nothing of it is in flight any more."""
        ...

    def runs(self, batch_id: str) -> int:
        """How many runs (executions) were started for the batch."""
        ...

    def deliver_twice(self, name: str, files: list[tuple[str, bytes]]) -> str:
        """Hand the same folder in twice the way the mode receives folders (AWS: a drop-folder marker
        event delivered twice; local: the same ``receiptflow scan`` command run twice, the second after the
        first finished); returns the batch id."""
        ...


def _poll(what: str, check: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


def _upload_items(blobs: BlobStore, batch: Batch, files: list[tuple[str, bytes]]) -> list[BatchItem]:
    items = []
    for n, (name, data) in enumerate(files, start=1):
        key = upload_prefix(batch.tenant_id, batch.batch_id) + f"{n:05d}"
        blobs.put(key, data, "image/jpeg")
        items.append(BatchItem(batch_id=batch.batch_id, item_id=f"{n:05d}", source=name, blob_key=key))
    return items


class LocalDriver:
    """Local mode (see the module docstring)."""

    mode = "local"

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        from receiptflow.settings import Settings
        from receiptflow.wiring.local import LocalRoot

        from tests.support.fake_cloud import TEXTRACT, fake_cloud

        self._text = TEXTRACT
        self._throttles = [0]
        self._cloud_cm = fake_cloud(MINIMAL_EXPENSE, self._decide)
        self.cloud = self._cloud_cm.__enter__()
        for name, value in self.cloud.env().items():  # the workers' boto3 clients go to the fake cloud
            monkeypatch.setenv(name, value)
        self.tmp_path = tmp_path
        self.settings = Settings(
            data_dir=tmp_path / "data",
            workers=1,
            provider="textract",
            retry_base_seconds=0.01,
            retry_max_wait_seconds=0.05,
        )
        self.root = LocalRoot(self.settings)
        self.service = self.root.batches
        self._events: dict[str, list[Event]] = {}
        self._runs: list[str] = []
        dispatcher, start = self.root.dispatcher, self.root.dispatcher.start

        def counted(run: Run) -> str | None:  # observe the runs the service hands the pool
            self._runs.append(run.batch_id)
            return start(run)

        monkeypatch.setattr(dispatcher, "start", counted)

    def close(self) -> None:
        """Stop the workers and the fake cloud."""
        if self.cloud.hold is not None:
            self.cloud.hold.set()
        self.root.shutdown()
        self._cloud_cm.__exit__(None, None, None)

    def _decide(self, service: str, content: str, attempt: int) -> str | None:
        if self._throttles[0] > 0:
            self._throttles[0] -= 1
            return "throttle"
        return None

    def new_batch(self, batch_id: str, files: list[tuple[str, bytes]]) -> Batch:
        batch = self.service.create(Batch(batch_id=batch_id, tenant_id=TENANT))
        self._events[batch_id] = []
        self.root.hub.subscribe(batch_id, self._events[batch_id].append)
        self.service.add_items(batch, _upload_items(self.root.blobs, batch, files))
        return self.service.get(TENANT, batch_id)

    def replace(self, batch: Batch, item_id: str, data: bytes) -> None:
        self.root.blobs.put(upload_prefix(batch.tenant_id, batch.batch_id) + item_id, data, "image/jpeg")

    def throttle_next(self, calls: int) -> None:
        self._throttles[0] = calls

    def hold(self) -> Gate:
        gate = Gate(arrived=threading.Event(), release=threading.Event())
        decide = self.cloud.decide

        def noting(service: str, content: str, attempt: int) -> str | None:
            gate.arrived.set()
            return decide(service, content, attempt)

        self.cloud.decide = noting
        self.cloud.hold = gate.release
        return gate

    @property
    def provider_calls(self) -> int:
        return self.cloud.calls[self._text]

    def events(self, batch_id: str) -> list[Event]:
        return sorted(self._events[batch_id], key=lambda e: e.seq)

    def wait_final(self, batch_id: str) -> Batch:
        _poll("the batch's end", lambda: self.service.get(TENANT, batch_id).status.terminal)
        _poll("the run's end", lambda: self.root.dispatcher.wait(batch_id, timeout=0.1))
        return self.service.get(TENANT, batch_id)

    def runs(self, batch_id: str) -> int:
        return self._runs.count(batch_id)

    def deliver_twice(self, name: str, files: list[tuple[str, bytes]]) -> str:
        from receiptflow.cli.main import main
        from receiptflow.cli.scan import batch_id_for, collect_files

        folder = self.tmp_path / name
        folder.mkdir()
        for file_name, data in files:
            (folder / file_name).write_bytes(data)
        command = ["scan", str(folder), "--data-dir", str(self.settings.data_dir), "--workers", "1"]
        command += ["--provider", "textract", "--quiet"]
        assert main(command) == 0
        assert main(command) == 0
        return batch_id_for(collect_files([str(folder)]), "textract")


class AwsDriver:
    """AWS mode (see the module docstring)."""

    mode = "aws"

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        from receiptflow.adapters.aws import clients
        from receiptflow.wiring import aws

        from tests.support.serverless_stack import serverless_stack

        self._stack_cm = serverless_stack(monkeypatch, tmp_path, provider="textract", max_concurrency=1)
        self.stack = self._stack_cm.__enter__()
        self.service = aws.batch_service()
        self._calls = [0]
        self._gate: Gate | None = None
        client = clients.textract_client()
        client.meta.events.register("provide-client-params.textract.AnalyzeExpense", self._on_call)
        self._stubber = Stubber(client)
        self._stubber.activate()
        self._queue(throttles=0)

    def close(self) -> None:
        """Let held calls go, wait for the executions, tear moto down."""
        if self._gate is not None:
            self._gate.release.set()
        self._stack_cm.__exit__(None, None, None)

    def _queue(self, throttles: int) -> None:
        from receiptflow.adapters.aws import clients

        from tests.support.textract import add_error, analyze_expense_output

        client = clients.textract_client()
        for _ in range(throttles):
            add_error(self._stubber, "ThrottlingException")
        for _ in range(20):
            self._stubber.add_response("analyze_expense", analyze_expense_output(client, MINIMAL_EXPENSE))

    def _on_call(self, params: dict[str, Any], **kwargs: Any) -> None:
        """Inside the Scan Image handler, as the provider call is made (the item is claimed)."""
        self._calls[0] += 1
        gate = self._gate
        if gate is not None:
            gate.arrived.set()
            with self.stack.unlocked():  # moto serialises requests; let the test thread's through
                assert gate.release.wait(WAIT_S), "the test never released the provider"

    def _subscribe(self, batch_id: str) -> None:
        from receiptflow.wiring.aws import connection_store

        connection_store().connect(f"conn-{batch_id}", TENANT)
        assert connection_store().subscribe(f"conn-{batch_id}", batch_id)

    def new_batch(self, batch_id: str, files: list[tuple[str, bytes]]) -> Batch:
        from receiptflow.wiring.aws import blob_store

        batch = self.service.create(Batch(batch_id=batch_id, tenant_id=TENANT))
        self._subscribe(batch_id)
        self.service.add_items(batch, _upload_items(blob_store(), batch, files))
        return self.service.get(TENANT, batch_id)

    def replace(self, batch: Batch, item_id: str, data: bytes) -> None:
        from receiptflow.wiring.aws import blob_store

        blob_store().put(upload_prefix(batch.tenant_id, batch.batch_id) + item_id, data, "image/jpeg")

    def throttle_next(self, calls: int) -> None:
        from receiptflow.adapters.aws import clients

        self._stubber.deactivate()
        self._stubber = Stubber(clients.textract_client())
        self._stubber.activate()
        self._queue(throttles=calls)

    def hold(self) -> Gate:
        self._gate = Gate(arrived=threading.Event(), release=threading.Event())
        return self._gate

    @property
    def provider_calls(self) -> int:
        return self._calls[0]

    def events(self, batch_id: str) -> list[Event]:
        messages = self.stack.socket_messages(f"conn-{batch_id}")
        return sorted((parse_event(json.dumps(m)) for m in messages), key=lambda e: e.seq)

    def wait_final(self, batch_id: str) -> Batch:
        _poll("the batch's end", lambda: self.service.get(TENANT, batch_id).status.terminal)
        self.stack.settle(WAIT_S)
        return self.service.get(TENANT, batch_id)

    def runs(self, batch_id: str) -> int:
        return sum(batch_id in e["name"] for e in self.stack.executions())

    def deliver_twice(self, name: str, files: list[tuple[str, bytes]]) -> str:
        from ingest.app import InboxObjectCreatedEvent, handler, to_object_created
        from receiptflow.batches.ingest import inbox_batch_id
        from receiptflow.blob_keys import parse_inbox_key

        from tests.support.events import lambda_context

        for file_name, data in files:
            self.stack.drop(f"inbox/{TENANT}/{name}/{file_name}", data)
        self.stack.drop(f"inbox/{TENANT}/{name}/_READY", b"")
        marker = next(
            e for e in self.stack.inbox_events() if e["detail"]["object"]["key"].endswith("/_READY")
        )
        inbox = parse_inbox_key(f"inbox/{TENANT}/{name}/_READY")
        assert inbox is not None
        batch_id = inbox_batch_id(inbox, to_object_created(InboxObjectCreatedEvent.model_validate(marker)))
        self._subscribe(batch_id)
        first = handler(marker, lambda_context("IngestFunction"))
        assert first["result"] == "started", first
        self.wait_final(batch_id)
        again = handler(marker, lambda_context("IngestFunction"))  # EventBridge delivers it again
        assert again["result"] == "already_started", again
        return batch_id


@contextmanager
def driver_for(mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Driver]:
    """The driver of ``mode``, torn down after the scenario."""
    driver: LocalDriver | AwsDriver = (
        LocalDriver(monkeypatch, tmp_path) if mode == "local" else AwsDriver(monkeypatch, tmp_path)
    )
    try:
        yield driver
    finally:
        driver.close()
