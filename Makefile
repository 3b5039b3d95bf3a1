# grokbook: every set-up step lives here, so that `make book` and `make test` work on a fresh
# machine that has python3, make and the package registries (pip, npm, apt-get).
#
#   make book   build the HTML book at the `book` preset into _build/html
#   make test   the whole suite: unit tests, chapters through papermill at `quick`, nbval
#               regression, the strict book build at `quick` opened in headless Chromium
#   make refs   regenerate the nbval reference notebooks (tests/references/) at `quick`
#               (CHAPTERS="03_guess_and_check ..." for some only)
#   make lint   ruff check + format check, notebooks included
#   make seeds  every chapter at PRESET for SEEDS seed offsets (archived in results/PRESET/)
#   make parameters  rewrite the chapters' parameters cells from chapters/presets/*.yaml
#   make power  the units each of the paper's claims needs for power 0.8, from the archived
#               runs of PRESET (default book) as the pilot (results/PRESET/power.json)
#   make projections  dry-run every chapter at PRESET (default paper), one at a time, and
#               archive each projection in results/PRESET/<chapter>/dry-run.json

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := _extra/mathjax/tex-svg.js
JB_FLAGS := -W -n --keep-going
# The default preset of a whole build (see grokutils/core/params.py); a preset given to papermill wins.
export GROKBOOK_PRESET
# One thread per process: faster for this book's small matrices, and bit-reproducible.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book pdf test refs lint clean chromium tex seeds parameters projections power

# requirements.txt is the lock (every package, pinned with its hashes; generated from
# requirements.in, see the README); grokutils itself is installed editable on top, with the
# lock's setuptools (an editable install has no file to hash).
$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(MATHJAX):
	mkdir -p $(@D)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null \
	  && tar -xzf mathjax-$(MATHJAX_VERSION).tgz package/es5/tex-svg.js \
	  && mv package/es5/tex-svg.js $(CURDIR)/$@ && rm -rf $$tmp

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The chapters run in parallel (one per core) through the seed runner at seed 0; the build
# then renders those runs from its execution cache instead of executing them one by one.
book: GROKBOOK_PRESET = book
book: $(INSTALLED) $(MATHJAX)
	$(BIN)/python tests/pipeline.py clear-stale-cache _build
	$(BIN)/python -m grokutils.build.seed_runner --preset book --seeds 1 --first 0 --jobs $(JOBS) \
	  --no-archive --reuse
	$(BIN)/python tests/pipeline.py seed-cache _build book 0
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "book: $(CURDIR)/_build/html/index.html"

# The same book as one PDF (Sphinx's LaTeX builder, xelatex), rendered from the execution cache
# and the Sphinx state that `book` has just filled: no chapter is executed a second time. A
# glyph missing from the fonts is only a warning to xelatex; here it fails the build.
pdf: GROKBOOK_PRESET = book
pdf: book tex
	rm -f _build/latex/grokbook.pdf
	$(BIN)/jupyter-book build . --builder pdflatex $(JB_FLAGS)
	! grep "Missing character" _build/latex/grokbook.log
	@echo "pdf: $(CURDIR)/_build/latex/grokbook.pdf"

# TeX from Debian for `make pdf` and its test: xelatex (with the LaTeX packages Sphinx loads,
# texlive-latex-extra among its dependencies), Sphinx's fonts for it (FreeFont; the dingbats
# of texlive-fonts-recommended), latexmk, and pdftotext for the test.
tex: FREEFONT = /usr/share/fonts/opentype/freefont/FreeSerif.otf
tex:
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null \
	  && command -v pdftotext >/dev/null && test -f $(FREEFONT) \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  --no-install-recommends texlive-xetex texlive-fonts-recommended latexmk \
	  fonts-freefont-otf poppler-utils >/dev/null; }

test: GROKBOOK_PRESET = quick
test: $(INSTALLED) $(MATHJAX) chromium tex lint
	$(BIN)/python -m pytest

refs: GROKBOOK_PRESET = quick
refs: $(INSTALLED)
	$(BIN)/python tests/pipeline.py refs $(CHAPTERS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every chapter's parameters cell, rewritten from its presets file (the one source of help).
parameters: $(INSTALLED)
	$(BIN)/python -m grokutils.build.parameters_cell

clean:
	rm -rf _build tests/fixture_book/_build

# The seed-robustness runner: every chapter at PRESET for SEEDS offsets from FIRST_SEED, JOBS
# at a time; claims archived in results/PRESET/, agreement in results/PRESET/agreement.md.
PRESET ?= quick
SEEDS ?= 8
FIRST_SEED ?= 1
JOBS ?= 2
seeds: $(INSTALLED)
	$(BIN)/python -m grokutils.build.seed_runner --preset $(PRESET) --seeds $(SEEDS) \
	  --first $(FIRST_SEED) --jobs $(JOBS) $(if $(CHAPTERS),--chapters $(CHAPTERS)) \
	  $(if $(DEVICE),--device $(DEVICE))

power: PRESET = book
power: $(INSTALLED)
	$(BIN)/python -m grokutils.build.power --preset $(PRESET)

# One at a time: a projection timed beside another run would be inflated by it.
projections: PRESET = paper
projections: $(INSTALLED)
	$(BIN)/python -m grokutils.build.seed_runner --preset $(PRESET) --seeds 1 --first 0 \
	  --jobs 1 --dry-run $(if $(CHAPTERS),--chapters $(CHAPTERS)) $(if $(DEVICE),--device $(DEVICE))
