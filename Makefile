# Every target sets up what it needs: a fresh clone only needs python3 (>= 3.11) and make.
# uv is used from PATH, or bootstrapped into .tools/ with pip on first use.

PYTHON ?= python3
UV_ON_PATH := $(shell command -v uv 2>/dev/null)
UV := $(if $(UV_ON_PATH),$(UV_ON_PATH),$(CURDIR)/.tools/bin/uv)
UV_DEP := $(if $(UV_ON_PATH),,$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --all-packages --frozen
PYTEST_ARGS ?=
# e.g. make bench BENCH_ARGS="--only engine status --repeat 5"
BENCH_ARGS ?=

# Scripts and tests that drive uv themselves (test-split, bench) find it here.
export JUG_UV := $(UV)
# Never let uv fetch a Python build: the machine's python3 is the one to use.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help tools sync demo test test-split lint format type build check-wheels docs bench bench-quick original bump clean

help:
	@echo "make demo          run the primes example with 4 workers on the file store"
	@echo "make test          run the test suite (includes the split-install test)"
	@echo "make lint          ruff check + format check"
	@echo "make type          mypy over the whole jug namespace (all distributions)"
	@echo "make build         wheels and sdists of all six distributions into dist/"
	@echo "make check-wheels  build, then check namespace ownership across the wheels"
	@echo "make test-split    install distributions separately from wheels and test them"
	@echo "make docs          check the documentation (links, runnable examples)"
	@echo "make bench         time jug against the original jug 2.7.0, every scenario (< 15 min)"
	@echo "make bench-quick   the same scenarios at small sizes (seconds; timings not checked)"
	@echo "make bump V=x.y.z  set one version across all distributions"

# Bootstrap uv without touching the system: a private venv, or pip --target when the
# machine's python has no venv module (Debian without python3-venv).
$(CURDIR)/.tools/bin/uv:
	@echo "uv not found on PATH: installing it into .tools/"
	@rm -rf .tools
	@if $(PYTHON) -m venv .tools >/dev/null 2>&1 && .tools/bin/python -m pip --version >/dev/null 2>&1; then \
	    .tools/bin/python -m pip install --quiet --disable-pip-version-check uv; \
	else \
	    rm -rf .tools; \
	    PIP_BREAK_SYSTEM_PACKAGES=1 $(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/pkgs uv \
	    && mkdir -p .tools/bin && ln -sf ../pkgs/bin/uv .tools/bin/uv; \
	fi
	@test -x .tools/bin/uv

# uv from PATH if there is one, else the bootstrap above (used by .ci/run).
tools: $(UV_DEP)
	@$(UV) --version

sync: $(UV_DEP)
	$(UV) sync --all-packages --frozen --quiet

demo: sync
	$(RUN) bash examples/primes/run-demo.sh

test: sync
	$(RUN) pytest $(PYTEST_ARGS)

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: sync
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

# `mypy -p jug` would stop at jug-core's regular package and never see the other
# distributions' portions; checking every src/jug tree with explicit package bases covers
# the whole namespace, and cross-distribution imports resolve through MYPYPATH.
SRC_ROOTS := $(wildcard packages/*/src)
empty :=
space := $(empty) $(empty)
type: sync
	MYPYPATH=$(subst $(space),:,$(SRC_ROOTS)) $(RUN) mypy --explicit-package-bases $(addsuffix /jug,$(SRC_ROOTS))

build: sync
	rm -rf dist
	$(UV) build --all-packages --out-dir dist --quiet

check-wheels: build
	$(RUN) python scripts/check_wheels.py dist

# Builds its own wheels into a temporary directory (so it never tests a stale dist/).
test-split: sync
	$(RUN) python scripts/test_split.py

docs: sync
	$(RUN) python scripts/check_docs.py

bench: sync
	$(RUN) python bench/run.py $(BENCH_ARGS)

original: sync
	$(RUN) python bench/run.py --install-original

bench-quick: sync
	$(RUN) python bench/run.py --quick $(BENCH_ARGS)

bump: $(UV_DEP)
	@test -n "$(V)" || (echo "usage: make bump V=x.y.z" >&2; exit 2)
	$(PYTHON) scripts/bump_version.py $(V)
	$(UV) lock
	@# Versions are read from _version.py at build time: reinstall so metadata follows.
	$(UV) sync --all-packages --frozen --quiet $(foreach p,$(notdir $(wildcard packages/*)),--reinstall-package $(p))

clean:
	rm -rf dist .venv .tools .pytest_cache .mypy_cache .ruff_cache bench/results bench/.venv-orig
