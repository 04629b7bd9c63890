# The two commands a newcomer needs: `make run` and `make test`. Each sets up what it uses.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
SPECS := openapi/petsage.yaml openapi/root.yaml

.PHONY: run test lint spec-lint pytest lock clean

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

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

# Deployment (deploy/): Debian's Chromium for the docs UI browser test, and the contract run against a
# deployed instance with the suite's schemathesis.toml, e.g. make contract URL=https://staging.example.com/api/v1
.PHONY: chromium contract
pytest: chromium

chromium:
	tests/browser/install-chromium.sh

contract: $(VENV)/.test-deps
	@test -n "$(URL)" || { echo "usage: make contract URL=<base URL of the API, ending in /api/v1>" >&2; exit 2; }
	$(BIN)/schemathesis run openapi/petsage.yaml --url '$(URL)'
