# One command runs the lab, one runs the tests; both bootstrap the venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
AUTH   ?= chap

.PHONY: all venv test lint lab bench clean

all: test

$(VENV)/.installed: pyproject.toml
	@# iproute2 for namespaces, ping and iperf3 for traffic through the lab's TUN devices,
	@# rp-pppoe (pppoe, pppoe-server) as an independent peer in the interop tests
	command -v ip >/dev/null && command -v ping >/dev/null && command -v iperf3 >/dev/null && \
	    command -v pppoe-server >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q iproute2 iputils-ping iperf3 pppoe)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .

lab: venv
	bash lab/run.sh $(AUTH)

bench: venv
	$(PY) bench/codec.py

clean:
	rm -rf $(VENV) build *.egg-info
