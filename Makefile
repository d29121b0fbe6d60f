# Setup and everyday commands. Every target creates what is missing first.
#   make test    set up .venv (torch, mmcv with ops, this package) and run the tests
#   make setup   only the setup
# CUDA users: make setup TORCH_SPEC='torch==2.5.1' TORCH_INDEX=https://download.pytorch.org/whl/cu121
# (mmcv's ops then compile with CUDA when nvcc is found).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
MMCV_SPEC ?= mmcv==2.1.0
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMPS := $(VENV)/.stamps

.PHONY: setup test demo clean-venv

setup: $(STAMPS)/package

$(STAMPS)/venv:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	mkdir -p $(STAMPS) && touch $@

$(STAMPS)/torch: $(STAMPS)/venv
	$(PIP) install $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) '$(TORCH_SPEC)'
	touch $@

# mmcv 2.1.0 builds its ops from source against the installed torch
# (14 minutes on a fresh 2-core machine; pip caches the wheel).
# Its setup.py imports pkg_resources, hence setuptools<70.
$(STAMPS)/mmcv: $(STAMPS)/torch
	$(PIP) install 'setuptools<70' wheel ninja
	MMCV_WITH_OPS=1 $(PIP) install --no-build-isolation '$(MMCV_SPEC)'
	$(PY) -c "import mmcv.ops" || (echo 'mmcv was built without ops' && exit 1)
	touch $@

$(STAMPS)/package: $(STAMPS)/mmcv setup.py
	$(PIP) install --no-build-isolation -e '.[test]'
	$(PY) -c "import jointdepthseg"
	touch $@

test: setup
	$(PY) -m pytest -q tests

clean-venv:
	rm -rf $(VENV)

# The paper's pipeline on synthetic rooms: data, 3 stages + the no-depth
# control and the CRF without depth, tests, report, figures and summary.json
# (time on 2 cores: benchmarks/RESULTS.md, "The demo"; re-running reuses
# finished stages). VARIANT=depth-cue: rooms where only depth separates some
# class pairs (outputs/demo_depth_cue). Over seeds, with the RGB-D CRF row:
# tools/ablation.py.
VARIANT ?= rooms
demo: setup
	$(PY) tools/demo.py --variant $(VARIANT)
