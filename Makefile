# Two commands on a fresh machine: `make run` and `make test` (README.md).
# Every install step lives here so a clean CI machine needs nothing by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Debian libraries the Qt wheels load even on the offscreen platform.
QT_DEBS := libegl1 libgl1 libopengl0 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3 fonts-dejavu-core
# poppler's pdfsig (and pdftoppm): the independent verifier of the signed PDFs in the tests.
PDF_DEBS := poppler-utils
# What Qt's xcb plugin needs for a real window on a Debian/Ubuntu desktop (without
# libxcb-cursor0 and friends `make run` fails with "could not load the Qt platform plugin").
XCB_DEBS := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
  libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0
# A virtual screen, so the tests can open the real window (tests/test_real_window.py).
SCREEN_DEBS := xvfb xdotool
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-slow bench load lint typecheck check setup qt-deps clean screenshots \
  translations

setup: $(STAMP) qt-deps

$(STAMP): pyproject.toml
	@echo "Setting up ketalog in $(VENV) (the first time takes a few minutes; pip shows each package)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e '.[test,dev]'
	touch $(STAMP)
	@echo "ketalog is installed."

# Install the Debian packages (Qt runtime, xcb, Xvfb, poppler-utils) only when dpkg says one is missing.
qt-deps:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(QT_DEBS) $(XCB_DEBS) $(SCREEN_DEBS) $(PDF_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages ketalog needs:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	  fi; \
	fi

run: setup
	$(BIN)/ketalog

# On every core, one test module per worker (--dist loadfile: a module's shared fixtures,
# such as its demo clinic, are built once, and PostgreSQL's server-wide roles, which
# tests/store/test_pg_roles.py creates, are touched by one worker at a time).
test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n auto --dist loadfile

# The long runs `make test` leaves out (200 kill -9 crashes of the app, ...).
test-slow: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m slow

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.benchmarks.run

# Ten workstations on one PostgreSQL server for five minutes (tools/load/run.py); not in `make test`.
load: setup
	$(BIN)/python -m tools.load.run

# README's pictures from the real app on the demo clinic (1366x768, and 1920x1080 beside them).
screenshots: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.screenshots

# The translation catalogues: lupdate gathers every tr(), translate() and QT_TRANSLATE_NOOP
# text of the UI into each ketalog/resources/translations/ketalog_<language>.ts (a translator fills
# them in Qt Linguist; ketalog_en.ts holds English plurals), lrelease compiles them into the
# .qm files the app loads. tests/ui/test_translations.py fails when a .ts is out of date.
TS_FILES := $(wildcard ketalog/resources/translations/ketalog_*.ts)
translations: setup
	$(BIN)/pyside6-lupdate $$(find ketalog/ui -name '*.py' | sort) -no-obsolete -locations none \
	  -ts $(TS_FILES)
	$(BIN)/pyside6-lrelease $(TS_FILES)

# ruff, then the layer contracts in pyproject.toml ([tool.importlinter])
lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy ketalog

check: lint typecheck test

clean:
	rm -rf $(VENV) build *.egg-info
