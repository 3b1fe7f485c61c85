# One command runs the lab, one runs the tests; both bootstrap the venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
AUTH   ?= chap

.PHONY: all deps deps-interop venv test lint lab bench mutation interop clean

all: test

# System tools, installed with apt-get only when one is missing: iproute2 for namespaces,
# ping and iperf3 for traffic through the lab's TUN devices, rp-pppoe (pppoe, pppoe-server)
# as an independent peer, dhcpcd (dhcpcd-base) as an independent DHCPv6 client, tshark to
# dissect every capture; qemu for the interop VM.
deps:
	@command -v ip >/dev/null && command -v ping >/dev/null && command -v iperf3 >/dev/null && \
	    command -v pppoe-server >/dev/null && command -v dhcpcd >/dev/null && command -v tshark >/dev/null || \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q iproute2 iputils-ping iperf3 pppoe dhcpcd-base tshark)

deps-interop: deps
	@command -v qemu-system-x86_64 >/dev/null || \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    qemu-system-x86)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

test: venv deps
	$(PY) -m pytest -q -m "not interop"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

lab: venv deps
	$(PY) lab/run.py $(AUTH)

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

# The real pppd 2.4.9 and rp-pppoe 3.15 against our AC and client (tests/interop). Where the
# kernel has no PPP they run in a small qemu VM built from Debian's packages (lab/pppvm; cached
# in lab/out/pppvm); tshark dissects every capture.
interop: venv deps-interop
	$(PY) lab/pppvm/artifacts.py
	$(PY) -m pytest -q -m interop tests/interop

clean:
	rm -rf $(VENV) build *.egg-info
