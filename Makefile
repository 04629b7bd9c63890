# The two commands a newcomer needs: `make run` and `make test` (and `make check` while changing
# code). Each sets up what it uses.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
SPECS := openapi/petsage.yaml openapi/root.yaml openapi/management.yaml

.PHONY: run test check lint spec-lint pytest lock clean bench bench-quick bench-profile bench-datastores attack

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installed from the constraints file, so a fresh machine gets the versions that were tested.
$(VENV)/.run-deps: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --constraint constraints.txt --editable .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps
	$(PIP) install --constraint constraints.txt --editable '.[test,postgres,redis]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.run-deps ## serve on 127.0.0.1:8000 (PETSAGE_* variables respected)
	$(BIN)/petsage serve

test: lint spec-lint pytest ## everything CI runs

# The inner loop, under a minute: no npm, no Chromium, no server started (the tests of tests/live,
# tests/deploy and tests/browser carry those markers; tests/conftest.py applies them).
check: lint ## ruff, ruff format, mypy --strict, import-linter, and the in-process tests (unit, api, contract)
	$(BIN)/pytest -m "not live and not deploy and not browser"

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Spectral: spectral:oas and the OWASP ruleset (.spectral.yaml); Redocly: recommended, warnings as
# errors (redocly.yaml), with its telemetry and update check off.
REDOCLY := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly
spec-lint: $(VENV)/.test-deps node_modules/.installed
	npx --no-install spectral lint --fail-severity=warn $(SPECS)
	$(REDOCLY) lint $(SPECS)
	$(BIN)/openapi-spec-validator $(SPECS)

# The suite also runs Optic (tests/tools/).
pytest: $(VENV)/.test-deps node_modules/.installed
	$(BIN)/pytest

# Breaking changes of the contract since the last release (the newest v* tag, else the commit
# .ci/last-release names; .ci/run runs this), or since a git ref: make contract-diff BASE=origin/main
.PHONY: contract-diff
contract-diff: $(VENV)/.run-deps node_modules/.installed
	$(BIN)/python tools/contract_diff.py $(if $(BASE),'$(BASE)')

# Re-pin every Python dependency to what is installed now (after a deliberate upgrade).
lock: $(VENV)/.test-deps
	$(PIP) freeze --exclude-editable > constraints.txt

# Not part of `make test`: MINUTES of wrk at saturation, RSS and fds sampled; bench/results/soak.json.
MINUTES ?= 10
.PHONY: soak
soak: $(VENV)/.run-deps
	bench/install-load-tools.sh
	$(BIN)/python bench/soak.py --minutes $(MINUTES)

# Deployment (deploy/): Debian's Chromium for the docs UI browser test, and the contract run against a
# deployed instance with the suite's schemathesis.toml, e.g. make contract URL=https://staging.example.com/api/v1
.PHONY: chromium prometheus contract
pytest: chromium prometheus

chromium:
	tests/browser/install-chromium.sh

# Debian's PostgreSQL and Redis for the datastore checks' tests (they start their own servers).
.PHONY: services
pytest: services

services:
	tests/services/install-services.sh

# Debian's Prometheus and promtool for tests/metrics/ (a real scrape, promtool check metrics).
prometheus:
	tests/metrics/install-prometheus.sh

contract: $(VENV)/.test-deps
	@test -n "$(URL)" || { echo "usage: make contract URL=<base URL of the API, ending in /api/v1>" >&2; exit 2; }
	$(BIN)/schemathesis run openapi/petsage.yaml --url '$(URL)'

# The container image (docs/deployment.md): built with podman, on python:3.11-slim-bookworm where it
# can be pulled, else on a bookworm base built once with debootstrap; image-test runs it as the pod of
# deploy/k8s runs it (tests/image/, outside the default pytest run). Both install what they need.
.PHONY: image image-test
image: ## the image localhost/petsage:<version> (deploy/image/build.sh)
	deploy/image/install.sh
	deploy/image/build.sh

image-test: image $(VENV)/.test-deps ## the image run as a pod: served, probed, drained; kube play
	$(BIN)/pytest tests/image

# The benchmark (bench/README.md): wrk and h2load from Debian if missing; PetSage installed as `make run`
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

bench: $(BENCH_DEPS) ## PetSage vs the FastAPI peer vs raw ASGI, quiet and logged: the figures to quote (~15 min)
	bench/install-load-tools.sh
	$(PEER_VENV)/bin/python bench/run.py

bench-profile: $(BENCH_DEPS) ## where the time goes: app layer in process, py-spy under load
	bench/install-load-tools.sh
	$(PEER_VENV)/bin/python bench/profiling.py

# The tree before issue 20's changes, measured beside the working tree (BASELINE=ref to change).
BASELINE ?= e9d358e
# The served request layer by layer (py-spy under wrk), beside BASELINE's: bench/results/layers.*
.PHONY: bench-layers bench-startup
bench-layers: $(BENCH_DEPS)
	bench/install-load-tools.sh
	$(PEER_VENV)/bin/python bench/layers.py --baseline $(BASELINE)

# Start-up time and memory, import by import, against the peer: bench/results/startup.*
bench-startup: $(BENCH_DEPS)
	$(PEER_VENV)/bin/python bench/startup.py

# Not part of `make test` (about 4 minutes): slowhttptest -H/-B/-X and a held-connection flood at
# a 256-fd limit and at the default one, a fresh smoke-test probe every 0.2 s; bench/results/attack.*
attack: $(SERVICE_VENV)/.installed
	tools/install-debian.sh slowhttptest:slowhttptest
	$(SERVICE_VENV)/bin/python bench/attack.py

bench-quick: $(BENCH_DEPS) ## the same, a few seconds per scenario (results in test-artifacts/)
	bench/install-load-tools.sh
	$(PEER_VENV)/bin/python bench/run.py --quick --out test-artifacts/bench

# Readiness latency with a real PostgreSQL and Redis checked, cached and not, and each failure's output.
# Server CPU per request of a POST with a JSON body on the conformance contract: PetSage as served,
# PetSage without access lines and metrics, and Connexion's stock AsyncApp (bench/bodies.py).
.PHONY: bench-bodies
bench-bodies: $(VENV)/.test-deps
	bench/install-load-tools.sh
	$(BIN)/python bench/bodies.py --out bench/results/bodies.json

bench-datastores: $(VENV)/.test-deps services
	$(BIN)/python bench/datastores.py --requests 2000

# Not part of `make test`: fresh-connection probes while 2,000 keep-alive clients saturate the main
# port, and the metrics' CPU cost per request (bench/results/starvation.json and .md).
.PHONY: bench-starvation
bench-starvation: $(SERVICE_VENV)/.installed
	bench/install-load-tools.sh
	$(SERVICE_VENV)/bin/python bench/starvation.py --baseline $(BASELINE)

clean:
	rm -rf $(VENV) $(SERVICE_VENV) $(PEER_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
