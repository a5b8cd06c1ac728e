# Two entry points for a fresh machine: `make lab` and `make test` (and `make check` for lint and types).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-deps check test lab lab-noauth lab-traps lab-haproxy clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	scripts/system-deps.sh

# Lint, then types (the modules mypy checks and what is left: [tool.mypy] in pyproject.toml).
check: setup
	$(VENV)/bin/ruff check wizard tests bench scripts
	$(VENV)/bin/mypy

test: setup system-deps
	$(VENV)/bin/pytest

# The lab plans ship in the package (wizard/lab/plans/); from here their state goes to state/<name>.
lab: setup
	$(VENV)/bin/alcor-migrate lab run lab --yes

lab-noauth: setup
	$(VENV)/bin/alcor-migrate lab run lab-noauth --yes

lab-traps: setup
	$(VENV)/bin/alcor-migrate lab run lab-traps --yes

lab-haproxy: setup system-deps
	$(VENV)/bin/alcor-migrate lab run lab-haproxy --yes

clean:
	rm -rf $(VENV) state
