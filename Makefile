# Two commands for users: `make pack` builds the default packs, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# System libraries WeasyPrint needs, fonts with the glyphs our languages use, and
# Chromium for the browser test of the slides (driven by Playwright, never downloaded).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
                   fonts-noto-core fonts-dejavu-core

.PHONY: pack test deps venv lint bench doctor clean

pack: deps $(STAMP)
	$(PY) build.py build

# Target-specific: the tests also need Chromium and GNU gettext (msgfmt, msgcat check our catalogs); `make pack` does not.
test: DEBIAN_PACKAGES += chromium gettext
test: deps $(STAMP)
	$(PY) -m pytest -q

bench: DEBIAN_PACKAGES += pandoc
bench: deps $(STAMP)
	$(PY) bench/bench.py --lessons 16 --languages 3 --profiles 3

# What a build needs on this machine, and the command that installs what is missing.
doctor: $(STAMP)
	$(VENV)/bin/trainkit doctor

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# On Debian as root, install what is missing; elsewhere, say exactly what to install.
deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "Installing:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	    else \
	      echo "Missing system packages:$$missing"; \
	      echo "Install them with: sudo apt-get install$$missing"; \
	      echo "(make doctor then checks that a build will work)"; exit 1; \
	    fi; \
	  fi; \
	else \
	  echo "Not a Debian system: install Pango (>= 1.44), HarfBuzz with its subset library,"; \
	  echo "Noto fonts (Noto Sans, Noto Naskh Arabic) and DejaVu fonts with your package manager,"; \
	  echo "then run: make pack  (macOS: brew install pango harfbuzz font-noto-sans)"; \
	  echo "make doctor checks what a build needs and gives the command for your system."; \
	fi

clean:
	rm -rf output $(VENV) .pytest_cache
