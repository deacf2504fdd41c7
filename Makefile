# The two quick-start commands: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Debian packages, installed with apt-get when missing: what the panel needs to run (with its
# local test host), and what the tests and benchmarks (wrk: tests/bench/bench_scale.py) need on top.
RUN_PACKAGES := python3 python3-venv python3-dev gcc git openssh-client systemd-container \
  mmdebstrap iproute2 prometheus libpango-1.0-0 libpangoft2-1.0-0
TEST_PACKAGES := $(RUN_PACKAGES) chromium postgresql redis-server vagrant pebble dnsmasq-base \
  poppler-utils dpkg-dev wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint translations run-packages test-packages apt-install venv clean

# The panel on SQLite with one local test host (a systemd-nspawn testbed host, which needs root on
# Linux); the host is taken down again when the panel stops.
run: run-packages venv translations
	$(BIN)/panel init
	@if [ "$$(id -u)" = 0 ] && [ "$$(uname -s)" = Linux ]; then \
	  trap '$(BIN)/panel testbed down' EXIT; \
	  $(BIN)/panel testbed up --hosts 1 && $(BIN)/panel run; \
	else \
	  echo "No local test host: the testbed boots hosts with systemd-nspawn, which needs root on Linux."; \
	  $(BIN)/panel run; \
	fi

test: test-packages venv translations lint
	tests/tools/run-suites

# promtool comes with Debian's prometheus package (a run package). ansible-lint runs in the suite
# (tests/playbooks/test_playbooks.py).
lint: run-packages venv
	$(BIN)/ruff check panel tests agents playbooks/library testbed
	$(BIN)/ruff format --check panel tests agents playbooks/library testbed
	@# The shipped code, with its full profile; each false positive is marked at its line
	@# (# nosec BXXX and the reason). Not the tests (asserts, fixed passwords and throwaway
	@# files are what tests are made of) nor the testbed (testbed/, a developer's tool, not shipped).
	$(BIN)/bandit -q -r panel agents playbooks/library
	promtool check config monitoring/prometheus.yml
	promtool check rules monitoring/rules/*.yml
	promtool test rules monitoring/tests/*.yml

translations: venv
	$(BIN)/pybabel compile -d panel/translations

run-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(RUN_PACKAGES)"

# axe-core, which the browser tests inject into pages to check their accessibility
# (tests/e2e/test_accessibility.py), from the npm registry into an ignored folder. Debian's npm
# only where no npm is there: one that came with another Node.js would conflict with it.
AXE := .node/node_modules/axe-core/axe.min.js

# WordPress and its default theme from Debian's archive, downloaded (not installed) into an ignored
# folder: a testbed test uploads it to a webspace and runs its installer
# (tests/playbooks/test_webspace_playbooks.py).
APPS := .apps
APP_PACKAGES := wordpress wordpress-theme-twentytwentythree

test-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_PACKAGES)"
	@mkdir -p $(APPS) && cd $(APPS) && \
	  missing=$$(for p in $(APP_PACKAGES); do ls $${p}_*.deb >/dev/null 2>&1 || echo $$p; done); \
	  [ -z "$$missing" ] || apt-get download -q $$missing 2>/dev/null || \
	    { $(SUDO) apt-get update -qq && apt-get download -q $$missing; }
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt-install PACKAGES=npm
	@[ -f $(AXE) ] || npm install --prefix .node --no-audit --no-fund --silent axe-core@4

apt-install:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

# The panel and, beside it, the testbed (testbed/: `panel testbed`, also `panel-testbed`), a
# distribution of its own that only development gets. One pip run, so that the testbed's
# dependency "panel" is this repository's.
$(VENV)/.installed: pyproject.toml testbed/pyproject.toml
	@command -v $(PYTHON) >/dev/null || $(MAKE) run-packages
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || $(MAKE) run-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' -e ./testbed
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
