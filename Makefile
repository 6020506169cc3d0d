# The two commands a newcomer needs (see README):
#   make demo   set everything up and produce the deliverables of the bundled demo engagement
#   make test   set everything up and run the test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= data/engagements/northwind-2026-09
# Debian packages: headless Chromium prints the PDF; poppler's pdftotext/pdfinfo read it
# back in tests; fonts make the reports render the same everywhere.
# Fonts: DejaVu and Liberation for Latin, Greek, Cyrillic, Arabic and Hebrew; WenQuanYi
# Micro Hei for Chinese, Japanese and Korean (5 MB, where Noto CJK is 91 MB); Lohit
# for Devanagari (Hindi), Loma for Thai, Symbola for emoji (outlines, so a PDF
# keeps them as text; the colour emoji font prints them as images).
SYSTEM_PACKAGES := chromium poppler-utils fonts-dejavu-core fonts-liberation \
	fonts-wqy-microhei fonts-lohit-deva fonts-tlwg-loma-ttf fonts-symbola \
	libreoffice-impress

.PHONY: setup system demo test check bench golden clean

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
	@# the results store that `paos portfolio-report` and notebooks/portfolio_benchmark read
	$(BIN)/paos batch data/portfolio/engagements --scores-only

test: setup
	$(BIN)/ruff check paos tests bench data
	$(BIN)/ruff format --check paos tests bench data
	$(BIN)/mypy
	$(BIN)/lint-imports
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q

check: setup  # the inner loop: lint, types and the tests not marked slow, on both cores
	$(BIN)/ruff check paos tests bench data
	$(BIN)/ruff format --check paos tests bench data
	$(BIN)/mypy
	$(BIN)/lint-imports
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest -q -m "not slow" -n 2

golden: setup  # rewrite tests/golden/ after an intended change of numbers or wording; review the diff
	$(BIN)/python tests/golden/regenerate.py

bench: setup
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_robustness.py
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_floor.py
	$(BIN)/python bench/bench_score_start.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
