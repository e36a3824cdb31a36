# receiptflow command loop. `make demo` and `make test` work on a fresh machine with Python >= 3.11 and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install lock layer-requirements check-lock format demo unit test test-py312 lint typecheck \
	validate smoke eval bench bench-aws samples train clean

## uv, pinned, from PyPI into its own venv, installs exactly the versions in uv.lock (every one from a wheel).
UV_VERSION ?= 0.13.8
UV_VENV    ?= .venv-uv
UV         := $(UV_VENV)/bin/uv
UV_STAMP   := $(UV_VENV)/.uv-$(UV_VERSION)
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1

## Python 3.12, the Lambda runtime's version, for `make test-py312` (CI runs the suite on both).
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)

help:
	@echo "make demo          scan the bundled samples (installs on first run)"
	@echo "make unit          the fast loop: tests/unit (no network, subprocess or OCR model)"
	@echo "make test          the whole test suite, every level, Python 3.11 (.venv); PYTEST_ARGS narrows it"
	@echo "make test-py312    the whole test suite on Python 3.12 (.venv312), the Lambda runtime's version"
	@echo "make lint          ruff check, ruff format --check, mypy strict"
	@echo "make format        ruff check --fix, then ruff format"
	@echo "make lock          re-resolve uv.lock after editing pyproject.toml, re-export the layer requirements"
	@echo "                   (LOCK_ARGS=--upgrade moves every pin to the newest allowed release)"
	@echo "make check-lock    uv.lock matches pyproject.toml and shared/requirements.txt matches uv.lock"
	@echo "make validate      cfn-lint, the ASL check, sam validate --lint"
	@echo "make bench-aws     AWS cost per 1,000 receipts under moto; updates its keys in bench/results.json"
	@echo "make eval | bench | train | samples | clean"

$(UV_STAMP):
	rm -rf $(UV_VENV)
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet 'uv==$(UV_VERSION)'
	touch $(UV_STAMP)

## --locked: fail if uv.lock is stale for pyproject.toml (run `make lock`); --no-build: wheels only.
## --compile-bytecode: every process (each scanning worker) loads .pyc instead of compiling every module
## from source where bytecode is never written (PYTHONDONTWRITEBYTECODE, read-only installs): measured
## 3.5-4.2 s -> 1.6-2.2 s CPU to start a worker (docs/performance.md, "Pipeline overhead").
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	@echo "uv sync --locked --no-build --compile-bytecode --extra dev --python $(PYTHON) into $(VENV)"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --no-build --compile-bytecode --extra dev --python $(PYTHON) \
		|| { echo "make install failed (if uv.lock is stale for pyproject.toml: run make lock)"; exit 1; }
	touch $(STAMP)

## int8 copies of the bundled OCR models (once; the engine falls back to fp32 without them); the
## project's own modules compiled too (the editable install is outside site-packages)
install: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 shared/receiptflow functions
	$(BIN)/python -m receiptflow.adapters.ocr.model_files make --calibration samples/receipts

## After adding or changing a dependency in pyproject.toml: one command.
LOCK_ARGS ?=
lock: $(UV_STAMP)
	$(UV) lock $(LOCK_ARGS)
	$(MAKE) layer-requirements

layer-requirements: $(STAMP)
	$(BIN)/python tools/export_layer_requirements.py --uv $(UV)

check-lock: $(STAMP)
	$(UV) lock --locked
	$(BIN)/python tools/export_layer_requirements.py --uv $(UV) --check

## Fix what ruff can fix, format, then report what is left for a human.
format: $(STAMP)
	$(BIN)/ruff check --fix-only .
	$(BIN)/ruff format .
	$(BIN)/ruff check .

## The main job: scan the bundled samples on the embedded defaults, print a table, write results.
demo: $(STAMP)
	$(BIN)/receiptflow scan samples/receipts --data-dir .receiptflow-demo --out demo-results.jsonl
	$(BIN)/receiptflow scan samples/receipts --data-dir .receiptflow-demo --out demo-results.csv --quiet
	@echo "results written to demo-results.jsonl and demo-results.csv"
	@echo "try the web app: .venv/bin/receiptflow serve --dev-key  then open http://127.0.0.1:8000/ and sign in with the printed key"

## The fast loop: the unit tier (no network, no subprocess, no OCR model; under a minute on 2 cores).
unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

## The whole test suite, every level: tests/{unit,contract,integration,e2e}. PYTEST_ARGS narrows it.
test: $(STAMP)
	@$(BIN)/pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5) - failing"; exit 1; fi; \
	exit $$rc

test-py312:
	$(MAKE) test PYTHON=$(PYTHON312) VENV=.venv312

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

## SAM CLI lives in its own venv: its pins fight ours. Offline: no AWS credentials or network needed.
SAM_VENV ?= .venv-sam
SAM      := $(SAM_VENV)/bin/sam

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli>=1.120'

validate: check-lock $(SAM)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python infra/validate_asl.py statemachine/batch.asl.json --template template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --region us-east-1

## Prove the stack in a real AWS account (docs/deploy.md): deploy, one batch over HTTP + WebSocket, the drop
## folder, delete. Not run in CI. make smoke STACK=rf-smoke [REGION=eu-west-1] [SMOKE_ARGS=--keep|--dry-run]
PY312 ?= $(HOME)/.pyenv/versions/3.12.1/bin
smoke: $(STAMP) $(SAM)
	@test -n "$(STACK)" || (echo "make smoke: give STACK=<stack name>"; exit 2)
	PATH="$(PY312):$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/python infra/smoke.py --stack $(STACK) --sam $(SAM) \
		$(if $(REGION),--region $(REGION),) $(SMOKE_ARGS)

## Accuracy on the held-out data (docs/accuracy.md): the SROIE validation split, WildReceipt fold 4.
eval: $(STAMP)
	$(BIN)/receiptflow eval ../shared/data/sroie-train --split val --json eval-report.json
	$(BIN)/receiptflow eval ../shared/data/wildreceipt-dev --fold 4 --json eval-wild-report.json

## Rebuild the extractor's lexicon, total ranker and calibration from the development folds
## (docs/accuracy.md). OCR_DIR caches the OCR of the development images between runs.
OCR_DIR ?= /tmp/receiptflow-train-ocr
train: $(STAMP)
	$(BIN)/python -m tools.train_extractor --ocr-dir $(OCR_DIR)

bench: $(STAMP)
	$(BIN)/python bench/run.py

## only the AWS cost figures (bench/aws_cost.py), merged into the last `make bench` results
bench-aws: $(STAMP)
	$(BIN)/python bench/aws_cost.py --results bench/results.json

samples: $(STAMP)
	$(BIN)/python tools/make_samples.py samples

clean:
	rm -rf .receiptflow-demo demo-results.jsonl demo-results.csv .pytest_cache .mypy_cache .ruff_cache
