# Two entry points a newcomer needs: `make run` and `make test`. Each installs what is missing
# (system packages, a virtual environment, the package) and then does its job.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lint bench bench-nlu bench-voice bench-replay bench-conversation system venv a11y-deps clean

system:
	bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: system $(STAMP)

# The accessibility test of the replay reports: Debian's chromium, and axe-core + playwright-core
# pinned in tests/a11y/package-lock.json (installed into tests/a11y/node_modules, git-ignored).
A11Y_STAMP := tests/a11y/node_modules/.installed

a11y-deps: $(A11Y_STAMP)
	bash scripts/setup-system.sh --a11y

$(A11Y_STAMP): tests/a11y/package.json tests/a11y/package-lock.json
	bash scripts/setup-system.sh --a11y
	cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error
	touch $(A11Y_STAMP)

run: venv
	$(VENV)/bin/voice-triage session $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check voice_triage tests scripts
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# pytest exits 5 when it collects nothing: that is a broken test tree, never a pass.
test: venv lint a11y-deps
	$(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Everyday work: lint and the tests that take seconds (no real audio, no installs).
test-fast: venv lint
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

bench: bench-nlu bench-voice bench-replay bench-conversation

bench-nlu: venv
	$(PY) -m tests.bench.bench_nlu

bench-voice: venv
	$(PY) -m tests.bench.bench_voice

bench-replay: venv
	$(PY) -m tests.bench.bench_replay

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache

bench-conversation: venv
	$(PY) -m tests.bench.bench_conversation
