# Every target sets up what it needs: a fresh clone only needs python3 (>= 3.11) and make.
# uv is used from PATH, or bootstrapped into .tools/ with pip on first use.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --all-packages --frozen
PYTEST_ARGS ?=

.PHONY: help sync demo test test-split lint format type build check-wheels docs bench bench-quick bump clean

help:
	@echo "make demo          run the primes example with 4 workers on the file store"
	@echo "make test          run the test suite"
	@echo "make lint          ruff check + format check"
	@echo "make type          mypy over the jug namespace"
	@echo "make build         wheels and sdists of all six distributions into dist/"
	@echo "make check-wheels  build, then check namespace ownership across the wheels"
	@echo "make test-split    install distributions separately from wheels and test them"
	@echo "make docs          check the documentation (links, runnable examples)"
	@echo "make bench         run the benchmarks against the original jug"
	@echo "make bump V=x.y.z  set one version across all distributions"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

sync: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --all-packages --frozen --quiet

demo: sync
	$(UV) run --frozen bash examples/primes/run-demo.sh

test: sync
	$(RUN) pytest $(PYTEST_ARGS)

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: sync
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

type: sync
	$(RUN) mypy -p jug

build: sync
	rm -rf dist
	$(UV) build --all-packages --out-dir dist --quiet

check-wheels: build
	$(RUN) python scripts/check_wheels.py dist

test-split: build
	$(RUN) python scripts/test_split.py dist

docs: sync
	$(RUN) python scripts/check_docs.py

bench: sync
	$(RUN) python bench/run.py

bench-quick: sync
	$(RUN) python bench/run.py --quick

bump:
	@test -n "$(V)" || (echo "usage: make bump V=x.y.z" >&2; exit 2)
	$(PYTHON) scripts/bump_version.py $(V)
	$(UV) lock

clean:
	rm -rf dist .venv .tools .pytest_cache .mypy_cache .ruff_cache
