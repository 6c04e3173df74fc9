# nnbook: the two commands are `make book` and `make test`; everything else is optional.
# Each target creates .venv when it is missing or when requirements.txt / pyproject.toml changed.

PYTHON    ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
BUILD     := _build
JB        := $(BIN)/jupyter-book
JBFLAGS   ?= -W -n --keep-going
PORT      ?= 8000
# One BLAS thread per process: steadier timings, and no oversubscription on 2-core machines.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# No progress bars in non-interactive builds.
export NNBOOK_QUIET ?= 1

TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                texlive-xetex latexmk fonts-freefont-otf texlive-plain-generic make

.PHONY: help venv book book-all pdf test test-fast serve clean clean-all bench \
        browser-test linkcheck stale-check

help:           ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/' | expand -t 16

venv: $(STAMP)  ## create .venv and install requirements.txt (only when they changed)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nnbook)" >/dev/null
	@touch $@

book: $(STAMP)  ## execute every chapter (cached; stale chapters re-run) and build the HTML site
	$(JB) build . $(JBFLAGS)
	@echo "The book is at $(CURDIR)/$(BUILD)/html/index.html  (make serve to browse it)"

book-all: $(STAMP)  ## rebuild from scratch: empty the execution cache, execute every chapter
	rm -rf $(BUILD)/html $(BUILD)/.doctrees $(BUILD)/jupyter_execute $(BUILD)/.jupyter_cache
	$(JB) build . --all $(JBFLAGS)
	@echo "The book is at $(CURDIR)/$(BUILD)/html/index.html"

pdf: $(STAMP)   ## build the PDF with XeLaTeX (needs TeX Live from Debian)
	@missing=""; for p in xelatex latexmk; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make pdf needs TeX Live (missing:$$missing). On Debian/Ubuntu install:"; \
	  echo "  sudo apt-get install -y $(TEX_PACKAGES)"; exit 1; fi
	rm -rf $(BUILD)/latex
	$(JB) build . --builder pdflatex $(JBFLAGS)
	@echo "The PDF is at $(CURDIR)/$(BUILD)/latex/book.pdf"
	$(BIN)/python -m pytest -q -m pdf tests/test_pdf.py -p no:xdist

test: $(STAMP)  ## run the whole test suite (unit, property, contract, stale-output)
	$(BIN)/python -m pytest -n 2 -q -m "not browser and not pdf"

test-fast: $(STAMP)  ## the tests without the slow ones
	$(BIN)/python -m pytest -n 2 -q -m "not slow and not browser and not pdf"

browser-test: $(STAMP)  ## check the built site in headless Chromium (run make book first)
	$(BIN)/python -m pytest -q -m browser tests/test_site_browser.py -p no:xdist

stale-check: $(STAMP)  ## show that a change in nnbook/ re-executes the chapters that use it
	$(BIN)/python -m pytest -q tests/test_stale_outputs.py

serve:          ## serve the built site at http://localhost:$(PORT)
	@test -f $(BUILD)/html/index.html || { echo "Build it first: make book"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory $(BUILD)/html

bench: $(STAMP) ## run the benchmark suite (prints a table, writes benchmarks/results.json)
	$(BIN)/python -m benchmarks

linkcheck: $(STAMP)  ## check external links (needs network; not run in CI)
	$(JB) build . --builder linkcheck

clean:          ## remove the built book (keeps .venv and the execution cache)
	rm -rf $(BUILD)/html $(BUILD)/latex $(BUILD)/.doctrees $(BUILD)/jupyter_execute

clean-all: clean  ## remove everything generated, .venv and the execution cache included
	rm -rf $(BUILD) $(VENV) .pytest_cache .hypothesis
