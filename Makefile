# lakescan — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export LAKESCAN_CACHE ?= $(HOME)/.cache/lakescan
CONFIG ?= conf/local.yaml
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
VENV35 ?= .venv35
PY35 := $(VENV35)/bin/python
STAMP35 := $(VENV35)/.installed

.PHONY: help setup setup-spark35 demo test test-fast test-spark35 test-spark35-ci bench eval lint soak package clean

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): setup.py detectors/_speedups.c
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,spark4]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv, install lakescan with test extras, fetch the Delta/S3A jars once
	@$(PY) -m jobs.jars fetch
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
	  echo "chromium not installed: the HTML report screenshot test will be skipped"

$(STAMP35): setup.py detectors/_speedups.c
	@test -x $(PY35) || $(PYTHON) -m venv $(VENV35)
	$(PY35) -m pip install -q --upgrade pip
	$(PY35) -m pip install -q -e '.[test,spark35]'
	@touch $(STAMP35)

setup-spark35: $(STAMP35) ## The same for the Spark 3.5 line (EMR 7, Glue 5) in .venv35
	@$(PY35) -m jobs.jars fetch

test-spark35: setup-spark35 ## Run the Spark and integration tests on pyspark 3.5 + delta-spark 3.3 (not the standalone-cluster ones)
	$(PY35) -m pytest -q -m "(spark or integration) and not cluster" $(PYTEST_ARGS)

# What CI runs on the 3.5 line alongside `make test` (the whole 3.5 set takes ~19 min, which would take CI past
# 30 min): the end-to-end scan, enumeration and scoping, S3 Inventory and byte-range runs.
SPARK35_CI_TESTS ?= tests/jobs/test_scan_integration.py tests/jobs/test_enumerate.py tests/jobs/test_inventory.py \
	tests/jobs/test_ranged_reads.py

test-spark35-ci: setup-spark35 ## The CI subset of test-spark35
	$(PY35) -m pytest -q -m "(spark or integration) and not cluster" $(SPARK35_CI_TESTS) $(PYTEST_ARGS)

demo: setup ## Start the embedded S3, seed the sample lake, run the nightly job, print the summary
	$(VENV)/bin/lakescan demo run --config $(CONFIG)

test: setup ## Run the whole suite (what CI runs)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP) ## Run the no-JVM core tests only
	$(PY) -m pytest -q -m "not spark and not integration and not cluster" $(PYTEST_ARGS)

bench: setup ## Run the benchmarks and record them in BENCHMARKS.md
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.detect_bench --write
	$(PY) -m bench.formats_bench
	$(PY) -m bench.enumeration_bench --write
	$(PY) -m bench.cluster_bench --write

eval: $(STAMP) ## Score the detectors on ../shared/eval and record the figures in BENCHMARKS.md
	$(PY) -m bench.eval --write --baselines

lint: $(STAMP) ## ruff, and the single-SparkSession-builder rule
	$(VENV)/bin/ruff check setup.py jobs detectors tests bench
	@! grep -rn "SparkSession.builder" --include=*.py jobs detectors tests bench | grep -v "^jobs/spark.py:" \
	  || (echo "SparkSession.builder belongs in jobs/spark.py only" && false)

soak: setup ## Soak: the nightly job N times on a changing demo lake (SOAK_ARGS="--runs 20"), into BENCHMARKS.md
	$(PY) -m bench.soak --write $(SOAK_ARGS)

package: $(STAMP) ## Build dist/: the wheel, the --py-files zip and the spark-submit entry (reproducible)
	$(PY) -m jobs.packaging

clean: ## Remove build outputs and local tables (keeps .venv and the jar cache)
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .lakescan spark-warehouse metastore_db derby.log
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
