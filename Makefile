# The two quick-start commands: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Debian packages the panel and its tests use; installed with apt-get when missing.
DEBIAN_PACKAGES := python3 python3-venv python3-dev gcc git openssh-client chromium postgresql \
  redis-server vagrant systemd-container mmdebstrap iproute2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint translations debian-packages venv clean

run: venv translations
	$(BIN)/panel init
	$(BIN)/panel run

test: debian-packages venv translations lint
	tests/tools/run-suites

lint: venv
	$(BIN)/ruff check panel tests
	$(BIN)/ruff format --check panel tests

translations: venv
	$(BIN)/pybabel compile -d panel/translations

debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || $(MAKE) debian-packages
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || $(MAKE) debian-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
