# Strongroom: every target works on a fresh machine with Python 3.11, make and the package registries.
# The project environment (.venv) comes from uv.lock; checkov runs from its own virtualenv
# (.venv-checkov) built from requirements/checkov.lock.txt, because it pins boto3 and packaging
# versions that conflict with pulumi-aws.

PYTHON      ?= python3.11
UV_VERSION  := 0.13.8
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV        := .venv
CHECKOV_VENV := .venv-checkov
STACK       ?= dev

export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_COMPILE_BYTECODE := 1

.PHONY: plan test lint lint-ruff bench bench-checkov bench-audit bench-suite venv checkov-venv clean policy-venv \
	policy-requirements

## plan: offline plan and compliance check of the dev stack (pack + checkov), no CLI or credentials
plan: venv checkov-venv
	$(VENV)/bin/strongroom plan --stack $(STACK)
	$(VENV)/bin/strongroom check --stack $(STACK) --checkov

## test: the whole test suite. It keeps Python's bytecode caches (__pycache__, git-ignored) even where the
## environment turns them off (PYTHONDONTWRITEBYTECODE): its two workers and the command-line runs it
## starts would otherwise compile the project and rewrite the test modules anew every time.
test: venv checkov-venv
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -n 2 --dist loadgroup -q

## lint: ruff and mypy
lint: lint-ruff
	$(VENV)/bin/mypy strongroom

lint-ruff: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## bench: cold `strongroom check --stack prod` against checkov on its export, and 1/10/50 environments
## (time, growth, per-resource cost, peak memory); median of BENCH_REPEAT runs, ratios measured in one run
BENCH_REPEAT ?= 3
## (the project's own modules are compiled first: with PYTHONDONTWRITEBYTECODE set, every timed run would
## otherwise compile them again, which a user's second run does not; site-packages are compiled at install)
bench: venv checkov-venv
	$(VENV)/bin/python -m compileall -q strongroom components policies
	$(VENV)/bin/python bench/bench_check.py --repeat $(BENCH_REPEAT)
	$(VENV)/bin/python bench/bench_inprocess.py
	$(VENV)/bin/python bench/bench_all_stacks.py

## bench-checkov: the policy pack alone against checkov, and export + checkov as environments grow
bench-checkov: venv checkov-venv
	$(VENV)/bin/python bench/bench_checkov.py --repeat $(BENCH_REPEAT)

## bench-audit: the live audit of an account holding 20 environments in moto_server (reads/s, s/environment)
bench-audit: venv
	$(VENV)/bin/python bench/bench_audit.py --envs 20

## bench-suite: `make test` quiet and with a busy loop on one core (issue 11's "under load"), each run beside
## a fixed reference workload, so that a slow phase of the machine shows as a slow reference (about 5 min)
bench-suite: venv checkov-venv
	$(VENV)/bin/python bench/bench_suite.py

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

venv: $(VENV)/.synced
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

checkov-venv: $(CHECKOV_VENV)/.synced
$(CHECKOV_VENV)/.synced: $(UV) requirements/checkov.lock.txt
	$(UV) venv --allow-existing $(CHECKOV_VENV)
	$(UV) pip install --python $(CHECKOV_VENV)/bin/python --require-hashes -r requirements/checkov.lock.txt
	touch $@

## policy-venv: policies/venv, the virtualenv `pulumi preview --policy-pack policies` runs the pack in
## (PulumiPolicy.yaml: pip toolchain, virtualenv venv): the locked runtime dependencies and this repository
## installed editable. The CLI installs nothing for a local pack and uses an existing venv as it is.
policy-venv: $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=policies/venv $(UV) sync --frozen --no-dev

## policy-requirements: policies/requirements.txt (what the published pack installs) from pyproject.toml
## and uv.lock; a test fails when it is out of date
policy-requirements: $(UV)
	$(VENV)/bin/python scripts/policy_requirements.py

clean:
	rm -rf $(TOOLS) $(VENV) $(CHECKOV_VENV) policies/venv
