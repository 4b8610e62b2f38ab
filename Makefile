# The two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PLAN   ?= params/demo.yaml
ARCHIVE ?= data/demo.duckdb
AS_OF  ?= 2027-06-30
# Python writes a module's bytecode when it first imports it (the venv is installed --no-compile);
# an environment with PYTHONDONTWRITEBYTECODE set (this machine's is) would have every process, each test's
# kernels and CLIs among them, compile planlib, pandas, matplotlib and nbconvert again (~4 s, not 1.3)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test install sysdeps clean lab bench

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-compile -e '.[test]'  # bytecode written as modules are first imported, not for every file installed
	touch $(STAMP)

# Chinese labels need a CJK font (figures and pages), the browser tests headless Chromium;
# both installed once, as root, from Debian.
sysdeps:
	@if fc-list :lang=zh 2>/dev/null | grep -q . ; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "planlib: installing a CJK font (fonts-noto-cjk) so Chinese labels render"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fontconfig fonts-noto-cjk >/dev/null; \
	else echo "planlib: WARNING no CJK font found; install fonts-noto-cjk so Chinese labels render" >&2; fi
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "planlib: installing headless Chromium (chromium) for the browser tests of the portal and reports"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "planlib: WARNING no chromium found; the browser tests (tests/browser) will be skipped" >&2; fi

# rebuilt when the demo generator changes (an older archive lacks what the notebooks now show)
$(ARCHIVE): $(wildcard planlib/demo/*.py) | $(STAMP)
	$(BIN)/planlib demo $(ARCHIVE) --force

# the plan (analysis, targets, budget), the workflow's first round (docs/workflow.md), then its tracking against the demo's actuals to $(AS_OF)
demo: sysdeps $(STAMP) $(ARCHIVE)
	$(BIN)/planlib run $(PLAN) --workers 2
	$(BIN)/planlib plan demo $(PLAN) --by 演示
	$(BIN)/planlib run $(PLAN) --as-of $(AS_OF) --workers 2

test: sysdeps $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# the national allocation's speed, timed on the demo archive (pass ARCHIVE=... for a national one)
bench: $(STAMP) $(ARCHIVE)
	$(BIN)/python benchmarks/bench_allocation.py $(ARCHIVE)

clean:
	rm -rf $(VENV) runs/* data/*.duckdb
