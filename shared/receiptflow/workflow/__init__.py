"""The AWS-side batch workflow core: ingest batching rule, per-item scan step, failure recording,
prepare/finalize, and the Distributed Map manifest. Lambda handlers in ``functions/`` stay thin and call
these functions with a :class:`~receiptflow.workflow.deps.Workflow` built from ports, so the same code runs
under moto in tests."""
