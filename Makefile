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
# Chapters execute JOBS at a time (tools/execute_chapters.py) before Sphinx reads them.
JOBS      ?= 2
EXECUTE   := $(BIN)/python tools/execute_chapters.py --jobs $(JOBS) --keep-going
# If the pre-execution itself breaks, the build still executes (serially) and judges.
PREEXEC_FALLBACK := || echo "execute_chapters failed: the build executes the chapters itself"
NOTEBOOKS ?= $(BUILD)/notebooks
# Shared computations (datasets, trained models) several chapters use: nnbook.data.cache.
export NNBOOK_CACHE_DIR ?= $(CURDIR)/$(BUILD)/.nnbook_cache
# Tools that only CI and maintainers need, pinned; installed into .venv on first use.
TOOL_PINS := check-jsonschema==0.39.0
# One BLAS thread per process: steadier timings, and no oversubscription on 2-core machines.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# No progress bars in non-interactive builds.
export NNBOOK_QUIET ?= 1

TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                texlive-xetex latexmk fonts-freefont-otf texlive-plain-generic make

.PHONY: help venv book book-all execute pdf test test-fast test-mpi lint lint-workflow \
        wheel-check binder-check notebooks test-notebooks serve clean clean-all bench \
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

execute: $(STAMP)  ## execute stale chapters, JOBS at a time, into the execution cache
	$(EXECUTE)

book: $(STAMP)  ## execute every chapter (cached; stale chapters re-run in parallel) and build the HTML site
	$(EXECUTE) $(PREEXEC_FALLBACK)
	$(JB) build . $(JBFLAGS)
	@echo "The book is at $(CURDIR)/$(BUILD)/html/index.html  (make serve to browse it)"

book-all: $(STAMP)  ## rebuild from scratch: empty the execution cache, execute every chapter
	rm -rf $(BUILD)/html $(BUILD)/.doctrees $(BUILD)/jupyter_execute $(BUILD)/.jupyter_cache
	$(EXECUTE) --force $(PREEXEC_FALLBACK)
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
	@# every page's download menu links the PDF: publish it beside the site
	@if [ -d $(BUILD)/html ]; then cp $(BUILD)/latex/book.pdf $(BUILD)/html/book.pdf; fi
	$(BIN)/python -m pytest -q -m pdf tests/test_pdf.py -p no:xdist

# Tests that need a built site, PDF, notebooks or mpirun have their own targets.
NOT_BUILT := not browser and not pdf and not mpi
test: $(STAMP)  ## run the whole test suite (unit, property, contract, stale-output)
	$(BIN)/python -m pytest -n 2 -q -m "$(NOT_BUILT)" --ignore=tests/test_notebooks.py

test-fast: $(STAMP)  ## the tests without the slow ones (under a minute)
	$(BIN)/python -m pytest -n 2 -q -m "not slow and $(NOT_BUILT)" --ignore=tests/test_notebooks.py

# MPI: the Part IX tests (tests/test_parallel_mpi.py, marked mpi) run under mpirun.
# >>> MPI install step: fill in how MPI is installed (e.g. pinned `mpich` + `mpi4py` wheels in
# >>> requirements.txt, or `apt-get install mpich` in .ci/run); MPIRUN must name its launcher.
MPIRUN ?= $(shell command -v $(BIN)/mpirun || command -v mpirun)
MPI_RANKS ?= 2
test-mpi: $(STAMP)  ## the tests marked mpi, under mpirun (skipped when there are none)
	@if ! grep -lqE "mark\.mpi|pytest\.mark\.mpi" tests/*.py 2>/dev/null; then \
	  echo "no tests marked mpi: nothing to run"; exit 0; fi; \
	if [ -z "$(MPIRUN)" ]; then echo "tests are marked mpi but mpirun is missing (see MPI install step)"; exit 1; fi; \
	$(MPIRUN) -n $(MPI_RANKS) $(BIN)/python -m pytest -q -m mpi -p no:xdist -p no:cacheprovider \
	  $$(grep -lE "mark\.mpi" tests/*.py)

lint: $(STAMP)  ## static checks: ruff and mypy
	$(BIN)/ruff check nnbook tests tools benchmarks
	$(BIN)/mypy

lint-workflow: $(STAMP)  ## validate the GitHub workflows against their schema (offline)
	@test -x $(BIN)/check-jsonschema || $(BIN)/python -m pip install --quiet $(TOOL_PINS)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/python tools/check_workflow.py .github/workflows/*.yml

binder-check:   ## Binder's environment resolves on runtime.txt's Python (pip --dry-run; needs that Python)
	@py=python$$(sed -n 's/^python-//p' runtime.txt); command -v $$py >/dev/null || { echo "$$py is not installed"; exit 1; }; \
	$$py -m pip install --dry-run --ignore-installed --quiet -r requirements.txt && echo "requirements.txt resolves on $$($$py --version)"

wheel-check: $(STAMP)  ## build the wheel, install it alone in an empty venv, time `import nnbook`
	$(BIN)/python tools/check_wheel.py

notebooks: $(STAMP)  ## reader notebooks (plain Jupyter/Colab, no book stack) in $(NOTEBOOKS)
	$(BIN)/python tools/make_notebooks.py $(NOTEBOOKS)

test-notebooks: notebooks  ## run every reader notebook in a fresh venv without myst-nb/jupyter-book
	NNBOOK_NOTEBOOKS=$(CURDIR)/$(NOTEBOOKS) $(BIN)/python -m pytest -q -p no:xdist tests/test_notebooks.py

browser-test: $(STAMP)  ## check the built site in headless Chromium (run make book and make pdf first)
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
