# One command runs the lab, one runs the tests; both bootstrap the venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
AUTH   ?= chap

.PHONY: all venv test lint lab bench mutation clean

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

# Mutation testing of the protocol core (pyproject's [tool.mutmut]) against the in-memory tests.
# The machine is shared: lowest priority, MUTATION_CHILDREN workers. Results stay in mutants/.
MUTATION_CHILDREN ?= 2

mutation: venv
	$(PY) -m pip install --quiet -e '.[test,mutation]'
	@start=$$(date +%s); nice -n 19 $(VENV)/bin/mutmut run --max-children $(MUTATION_CHILDREN); \
	    rc=$$?; echo "mutmut wall time: $$(( $$(date +%s) - start )) s"; exit $$rc
	@$(VENV)/bin/mutmut export-cicd-stats >/dev/null
	@$(PY) -c 'import json; s = json.load(open("mutants/mutmut-cicd-stats.json")); \
	    k, sv, nt, to, total = (s[x] for x in ("killed", "survived", "no_tests", "timeout", "total")); \
	    print(f"kill rate {100 * k / max(1, k + sv + nt):.1f} % = killed / (killed + survived + not covered): " \
	          f"killed {k}, survived {sv}, not covered {nt}, timeout {to}, total {total}")'

clean:
	rm -rf $(VENV) build *.egg-info
