# Pharmacy Router. `make test` is what CI runs (.ci/run); `make run` starts the local stack.
PYTHON ?= python3.12
VENV := .venv
SAM_VENV := .tools/sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install browser lint typecheck format validate build test unit integration e2e bench run invoke openapi clean

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: the Lambda runtime is Python 3.12 (.python-version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

install: $(VENV)/.installed $(SAM_VENV)/.installed

# The operator console's tests drive a real headless Chromium: Debian's chromium and chromium-driver.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "install chromium and its WebDriver (chromedriver) with your package manager"; exit 1; }; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint

# Lambda cannot write bytecode (/opt and /var/task are read-only), so without shipped .pyc every cold start
# compiles every module it imports. Checked-hash .pyc stay valid whatever mtimes the zip gives the sources.
build: $(SAM_VENV)/.installed $(VENV)/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build
	$(PY) -m compileall -q -j0 --invalidation-mode checked-hash .aws-sam/build

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q

integration: $(VENV)/.installed
	$(PY) -m pytest tests/integration -q

e2e: $(VENV)/.installed
	$(PY) -m pytest tests/e2e -q

test: install browser lint typecheck validate build
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) bench/bench.py
	$(PY) bench/cost.py
	$(PY) bench/local_latency.py

run: $(VENV)/.installed
	$(PY) -m rxlocal

# One function, one event, against the running local stack: sam local invoke where Docker is, else in-process.
# make invoke FUNCTION=SubmitFunction EVENT=events/submit.json [IN_PROCESS=1] [PHARMACY=id]
invoke: $(VENV)/.installed
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo 'usage: make invoke FUNCTION=SubmitFunction EVENT=events/submit.json'; exit 2; }
	@$(PY) -m rxlocal.invoke $(if $(IN_PROCESS),--in-process) $(if $(PHARMACY),--pharmacy $(PHARMACY)) $(FUNCTION) $(EVENT)

# docs/openapi.json from the pydantic models and template.yaml's routes (a unit test fails when it is stale).
openapi: $(VENV)/.installed
	$(PY) -m rxlocal.openapi

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache .bench
