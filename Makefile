# The two commands a newcomer needs: `make run` and `make test`. Each sets up what it uses.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
SPECS := openapi/petsage.yaml openapi/root.yaml openapi/management.yaml

.PHONY: run test lint spec-lint pytest lock clean bench bench-quick bench-profile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installed from the constraints file, so a fresh machine gets the versions that were tested.
$(VENV)/.run-deps: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --constraint constraints.txt --editable .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps
	$(PIP) install --constraint constraints.txt --editable '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.run-deps ## serve on 127.0.0.1:8000 (PETSAGE_* variables respected)
	$(BIN)/petsage serve

test: lint spec-lint pytest ## everything CI runs

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

spec-lint: $(VENV)/.test-deps node_modules/.installed
	npx --no-install spectral lint --fail-severity=warn $(SPECS)
	$(BIN)/openapi-spec-validator $(SPECS)

pytest: $(VENV)/.test-deps
	$(BIN)/pytest

# Re-pin every Python dependency to what is installed now (after a deliberate upgrade).
lock: $(VENV)/.test-deps
	$(PIP) freeze --exclude-editable > constraints.txt

# Not part of `make test`: MINUTES of wrk at saturation, RSS and fds sampled; bench/results/soak.json.
MINUTES ?= 10
.PHONY: soak
soak: $(VENV)/.run-deps
	bench/install-wrk.sh
	$(BIN)/python bench/soak.py --minutes $(MINUTES)

# Deployment (deploy/): Debian's Chromium for the docs UI browser test, and the contract run against a
# deployed instance with the suite's schemathesis.toml, e.g. make contract URL=https://staging.example.com/api/v1
.PHONY: chromium prometheus contract
pytest: chromium prometheus

chromium:
	tests/browser/install-chromium.sh

# Debian's Prometheus and promtool for tests/metrics/ (a real scrape, promtool check metrics).
prometheus:
	tests/metrics/install-prometheus.sh

contract: $(VENV)/.test-deps
	@test -n "$(URL)" || { echo "usage: make contract URL=<base URL of the API, ending in /api/v1>" >&2; exit 2; }
	$(BIN)/schemathesis run openapi/petsage.yaml --url '$(URL)'

# The benchmark (bench/README.md): wrk from Debian if missing; PetSage installed as `make run`
# installs it but without the test tools; the peer and the chart in their own pinned environment.
SERVICE_VENV := bench/.venv-service
PEER_VENV := bench/.venv-peer
$(SERVICE_VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(SERVICE_VENV)
	$(SERVICE_VENV)/bin/python -m pip --disable-pip-version-check --quiet install \
		--constraint constraints.txt --editable .
	touch $@

$(PEER_VENV)/.installed: bench/requirements-peer.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip --disable-pip-version-check --quiet install --requirement $<
	touch $@

BENCH_DEPS := $(SERVICE_VENV)/.installed $(PEER_VENV)/.installed

bench: $(BENCH_DEPS) ## PetSage vs the FastAPI peer vs raw ASGI: the figures to quote (~4 min)
	bench/install-wrk.sh
	$(PEER_VENV)/bin/python bench/run.py

bench-profile: $(BENCH_DEPS) ## where the time goes: app layer in process, py-spy under load
	bench/install-wrk.sh
	$(PEER_VENV)/bin/python bench/profiling.py

bench-quick: $(BENCH_DEPS) ## the same, a few seconds per scenario (results in test-artifacts/)
	bench/install-wrk.sh
	$(PEER_VENV)/bin/python bench/run.py --quick --out test-artifacts/bench

# Not part of `make test`: fresh-connection probes while 2,000 keep-alive clients saturate the main
# port, and the metrics' CPU cost per request (bench/results/starvation.json and .md).
.PHONY: bench-starvation
bench-starvation: $(SERVICE_VENV)/.installed
	bench/install-wrk.sh
	bench/install-h2load.sh
	$(SERVICE_VENV)/bin/python bench/starvation.py

clean:
	rm -rf $(VENV) $(SERVICE_VENV) $(PEER_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
