# mbo-companion: `make run` (main job) and `make test` (whole suite), each creating .venv when missing.
# TORCH_SPEC picks the torch build: default the CPU wheel torch==2.13.0; GPU users e.g.
#   make run TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
DESIGN_BENCH_SPEC ?= design-bench==2.0.20
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mbo-installed
SITE_FROM ?= notebooks

.PHONY: setup run test notebooks golden site clean-records help

help:
	@echo "make run    - set up .venv and run the main job (GA quick start on TF-Bind-8 + synthetic tasks)"
	@echo "make test   - set up .venv and run the whole test suite (unit tests + nbval on the golden notebooks)"
	@echo "make notebooks - rebuild and execute notebooks/ at the quick profile"
	@echo "make golden - regenerate tests/golden/ (smoke-profile notebooks for nbval)"
	@echo "make site   - static offline site of the executed notebooks in site/ (SITE_FROM=runs/smoke for a run_all output)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -e ".[notebooks,dask,test]"
	# design-bench is only the reference the tests compare against: --no-deps keeps TensorFlow/MuJoCo out.
	$(PY) -m pip install -q --no-deps $(DESIGN_BENCH_SPEC)
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) run_all.py --profile quick --only 00_quickstart

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
