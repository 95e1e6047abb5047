# Two entry points for a fresh machine: `make run` (the main job) and `make test` (the suite).
# Both create .venv with a suitable Python (>= 3.12) and install the project first.
PY := .venv/bin/python
STORE ?= results/govsim.duckdb

.PHONY: setup run test bench mutation clean

setup:
	@tools/bootstrap.sh dev,ema,app

run: setup
	$(PY) -m experiments.cli main --store $(STORE)

test: setup
	$(PY) -m pytest -q -n 2 --dist loadgroup

bench: setup
	$(PY) benchmarks/run_all.py

# Mutation testing of model/ (docs/TESTING.md): resumes the session in results/mutation unless
# MUTATION_ARGS says --fresh; e.g. make mutation MUTATION_ARGS="--fresh --python-sample all"
MUTATION_ARGS ?=
mutation:
	@tools/bootstrap.sh dev,ema,app,mutation
	$(PY) tools/mutation/run.py run $(MUTATION_ARGS)

clean:
	rm -rf results .pytest_cache
