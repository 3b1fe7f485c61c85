# One command runs the lab, one runs the tests; both bootstrap the venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
AUTH   ?= chap

.PHONY: all venv test lab bench clean

all: test

$(VENV)/.installed: pyproject.toml
	command -v ip >/dev/null || (apt-get update -q && apt-get install -y -q iproute2)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

test: venv
	$(PY) -m pytest -q

lab: venv
	bash lab/run.sh $(AUTH)

bench: venv
	$(PY) bench/codec.py

clean:
	rm -rf $(VENV) build *.egg-info
