# receiptflow command loop. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint typecheck validate eval bench samples train clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job: scan the bundled samples on the embedded defaults, print a table, write results.
demo: $(STAMP)
	$(BIN)/receiptflow scan samples/receipts --data-dir .receiptflow-demo --out demo-results.jsonl
	$(BIN)/receiptflow scan samples/receipts --data-dir .receiptflow-demo --out demo-results.csv --quiet
	@echo "results written to demo-results.jsonl and demo-results.csv"

## The whole test suite (what CI runs).
test: $(STAMP)
	@$(BIN)/pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5) - failing"; exit 1; fi; \
	exit $$rc

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow and not e2e"

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

validate: $(STAMP) $(SAM)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python infra/validate_asl.py statemachine/batch.asl.json --template template.yaml
	$(BIN)/python tools/export_layer_requirements.py --check
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --region us-east-1

## Accuracy on the held-out data (docs/accuracy.md): the SROIE validation split, WildReceipt fold 4.
eval: $(STAMP)
	$(BIN)/receiptflow eval ../shared/data/sroie-train --split val --json eval-report.json
	$(BIN)/receiptflow eval ../shared/data/wildreceipt-dev --fold 4 --json eval-wild-report.json

## Rebuild the extractor's lexicon and calibration from the training split (docs/accuracy.md).
train: $(STAMP)
	$(BIN)/python tools/train_extractor.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

samples: $(STAMP)
	$(BIN)/python tools/make_samples.py samples

clean:
	rm -rf .receiptflow-demo demo-results.jsonl demo-results.csv .pytest_cache .mypy_cache .ruff_cache
