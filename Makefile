# The two commands a newcomer needs (see README):
#   make demo   set everything up and produce the deliverables of the bundled demo engagement
#   make test   set everything up and run the test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= data/engagements/northwind-2026-09
# Debian packages: headless Chromium prints the PDF; poppler's pdftotext/pdfinfo read it
# back in tests; fonts make the reports render the same everywhere.
SYSTEM_PACKAGES := chromium poppler-utils fonts-dejavu-core fonts-liberation libreoffice-impress

.PHONY: setup system demo test bench golden clean

setup: system $(VENV)/.installed

system:
	@if ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages: $(SYSTEM_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "PAOS needs: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,dev]'
	@# An editable install leaves out pyproject's data-files: link the board template
	@# where nbconvert finds its template `paos` (a link, so edits show at once).
	mkdir -p $(VENV)/share/jupyter/nbconvert/templates
	rm -rf $(VENV)/share/jupyter/nbconvert/templates/paos
	ln -s $(CURDIR)/paos/deliverables/templates/board $(VENV)/share/jupyter/nbconvert/templates/paos
	touch $@

demo: setup
	$(BIN)/paos validate $(DEMO)
	$(BIN)/paos score $(DEMO)
	$(BIN)/paos run $(DEMO) --out reports --force

test: setup
	$(BIN)/ruff check paos tests bench data
	$(BIN)/ruff format --check paos tests bench data
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

golden: setup  # rewrite tests/golden/ after an intended change of numbers or wording; review the diff
	$(BIN)/python tests/golden/regenerate.py

bench: setup
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
