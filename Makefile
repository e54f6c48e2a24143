# mbo-companion: `make run` (main job) and `make test` (whole suite), each creating .venv when missing.
# TORCH_SPEC picks the torch build: default the CPU wheel torch==2.13.0; GPU users e.g.
#   make run TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126"
# LOCKED=1 (or `make setup-locked`) installs the exact versions the committed records were made with
# (requirements-lock.txt, pip's -c; regenerate it with tools/lock_env.py).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
DESIGN_BENCH_SPEC ?= design-bench==2.0.20
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mbo-installed
SITE_FROM ?= notebooks
LOCK_FILE ?= requirements-lock.txt
# `make run`: the quickstart's GA runs at the quick profile, seeds 0-1 (10 runs, TF-Bind-10 when its data are there),
# recomputed in RUN_WORKERS processes into the fresh store runs/quick/records and compared with records/
RUN_SEEDS ?= 0 1
RUN_WORKERS ?= 2
CONSTRAINTS := $(if $(LOCKED),-c $(LOCK_FILE))

.PHONY: setup setup-locked run report test notebooks golden site clean-records help

help:
	@echo "make run    - set up .venv and run the main job: recompute the quick start's GA runs (quick profile, seeds"
	@echo "              $(RUN_SEEDS)) into runs/quick/records, render the notebook from them, compare with records/ bit for bit"
	@echo "make report - render the quick start from the committed records (records/) without computing"
	@echo "make setup-locked - (re)install .venv with the exact versions of requirements-lock.txt"
	@echo "make test   - set up .venv and run the whole test suite (unit tests + nbval on the golden notebooks)"
	@echo "make notebooks - rebuild and execute notebooks/ at the quick profile"
	@echo "make golden - regenerate tests/golden/ (smoke-profile notebooks for nbval)"
	@echo "make site   - static offline site of the executed notebooks in site/ (SITE_FROM=runs/smoke for a run_all output)"

$(STAMP): pyproject.toml $(if $(LOCKED),$(LOCK_FILE))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_SPEC) $(CONSTRAINTS)
	$(PY) -m pip install -q $(CONSTRAINTS) -e ".[notebooks,dask,test]"
	# design-bench is only the reference the tests compare against: --no-deps keeps TensorFlow/MuJoCo out.
	$(PY) -m pip install -q --no-deps $(DESIGN_BENCH_SPEC)
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP)

setup-locked:
	rm -f $(STAMP)
	$(MAKE) setup LOCKED=1

run: setup
	$(PY) run_all.py --profile quick --only 00_quickstart --seeds $(RUN_SEEDS) --compute $(RUN_WORKERS)

report: setup
	$(PY) run_all.py --profile quick --only 00_quickstart --committed

test: setup
	$(PY) -m pytest tests

notebooks: setup
	$(PY) tools/build_notebooks.py

site: setup
	$(PY) tools/build_site.py --from $(SITE_FROM) --out site

golden: setup
	$(PY) run_all.py --profile smoke --update-golden

clean-records:
	rm -rf records/smoke
