# Two commands set everything up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# real benchmark data beside the checkout, when present (tests needing it skip otherwise)
SHARED_DATA := $(abspath ../shared/data)
export DA_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),$(CURDIR)/data)
export WANDB_SILENT ?= true
# pip warns about every index location it skips; keep real errors only
QUIET_PIP := { grep -v 'is ignored: it is neither a file nor a directory' || true; }
DEMO_DIR ?= logs/demo/$(shell date +%Y-%m-%d_%H-%M-%S)

.PHONY: install demo test test-slow lint clean

# the package and its runtime dependencies (torch and torchvision explicitly, first)
$(VENV)/.installed-base: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	set -o pipefail; $(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1 2>&1 | $(QUIET_PIP)
	set -o pipefail; $(PY) -m pip install -q -e . 2>&1 | $(QUIET_PIP)
	@touch $@

# plus the test, sweep and launcher extras
$(VENV)/.installed: $(VENV)/.installed-base
	set -o pipefail; $(PY) -m pip install -q -e ".[dev]" 2>&1 | $(QUIET_PIP)
	@touch $@

install: $(VENV)/.installed

# 3 methods x 3 seeds on the embedded default data, then the comparison table
demo: $(VENV)/.installed-base
	$(PY) -m da.train -m method=source_only,mmd,dann seed=0,1,2 study=demo \
		trainer.enable_progress_bar=false hydra.sweep.dir=$(DEMO_DIR)
	$(VENV)/bin/da-report $(DEMO_DIR)

test: install
	$(PY) -m pytest -q

# long runs (benchmarks, studies) kept out of the default suite
test-slow: install
	$(PY) -m pytest -q -m slow -o addopts=""

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf logs outputs multirun .pytest_cache
