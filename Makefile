# Two entry points for a fresh machine: `make lab` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-deps test lab lab-noauth lab-traps clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	scripts/system-deps.sh

test: setup system-deps
	$(VENV)/bin/pytest

lab: setup
	$(VENV)/bin/alcor-migrate run --plan plans/lab.yaml --yes

lab-noauth: setup
	$(VENV)/bin/alcor-migrate run --plan plans/lab-noauth.yaml --yes

lab-traps: setup
	$(VENV)/bin/alcor-migrate run --plan plans/lab-traps.yaml --yes

clean:
	rm -rf $(VENV) state
