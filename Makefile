# Everything sets itself up: a .venv with the package and its extras, and Graphviz's `dot`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HYPOTHESIS_PROFILE ?= ci

.PHONY: demo test venv dot browser clean bench notebooks

test: $(VENV)/.installed dot browser  ## set everything up, then run the whole test suite: fast, then slow
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(BIN)/python -m pytest
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(BIN)/python -m pytest -m slow

demo: $(VENV)/.installed dot  ## set everything up, then train on the real digits and draw into out/
	$(BIN)/python -m seegrad

notebooks: $(VENV)/.installed dot  ## set everything up with the notebooks extra (Jupyter), then open the course notebooks
	$(BIN)/python -m pip install -q -e ".[notebooks]"
	$(BIN)/python -m notebook notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

venv: $(VENV)/.installed  ## the virtual environment with the package and its test extra

$(BIN)/python:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing python3-venv with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  else \
	    echo "$(PYTHON) cannot create virtual environments: install python3-venv" \
	         "(sudo apt-get install python3-venv) or use a Python from python.org"; exit 1; \
	  fi; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

dot:  ## Graphviz's dot binary: installed with apt-get when missing and we are root
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing graphviz (the dot binary) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz's dot binary is missing: install it (sudo apt-get install graphviz," \
	         "brew install graphviz, conda install -c conda-forge graphviz or" \
	         "winget install graphviz); rendering tests will be skipped"; \
	  fi; }

browser:  ## headless Chromium and its driver for the explorer's browser tests: apt-get when root
	@{ command -v chromium || command -v chromium-browser; } >/dev/null 2>&1 && \
	  command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and chromium-driver with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "Chromium or chromedriver is missing: install them (sudo apt-get install chromium" \
	         "chromium-driver); the explorer's browser tests will be skipped"; \
	  fi; }

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info

bench: $(VENV)/.installed  ## install the peers (micrograd, MyGrad, CPU PyTorch 2.13.0) and run the benchmarks; ARGS=--quick for a short run
	$(BIN)/python -m pip install -q -e ".[test,bench]" torch==2.13.0
	$(BIN)/python -m benchmarks $(ARGS)
