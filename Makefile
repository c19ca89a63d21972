# csdesk: `make run` opens csdesk on a demo book; `make test` runs every check headless.
# Both create a local .venv on first use; a fresh machine needs only Python 3.11+.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-dates install lint screenshots sample-report sample-deck bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "csdesk needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/csdesk gui --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The suite runs on every core (pytest-xdist); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# The window, service and walkthrough tests on other days (the wall clock moved with
# time-machine): the day the demo is pinned to, month ends, a leap day, a year end.
TEST_DATES ?= 2026-11-22 2027-02-28 2028-02-29 2030-12-31
test-dates: $(STAMP)
	@for day in $(TEST_DATES); do \
	  echo "== the suite on $$day"; \
	  CSDESK_TEST_TODAY=$$day CSDESK_REQUIRE_PG=0 CSDESK_TEST_PG= QT_QPA_PLATFORM=offscreen \
	    $(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) -m "not slow" \
	    tests/ui tests/e2e \
	    tests/services || exit 1; \
	done

screenshots: $(STAMP)
	d=$$(mktemp -d); for theme in light dark; do \
	  for view in today portfolio accounts renewals renewals/forecast renewals/churn reports account:ACC-000132 account:ACC-000132/plan \
	                account:ACC-000132/value account:ACC-000132/handoff account:ACC-000132/renewal; do \
	    name=$$(echo $$view | sed -e 's/:ACC-[0-9]*//' -e 's|/|-|'); \
	    QT_QPA_PLATFORM=offscreen CSDESK_DATA_DIR=$$d $(BIN)/csdesk gui --demo --theme $$theme \
	      --screenshot docs/$$theme-$$name.png --view $$view --size 1440x900; \
	  done; done
	QT_QPA_PLATFORM=offscreen $(BIN)/csdesk gui --db $$(mktemp -d)/empty.sqlite \
		--screenshot docs/empty.png --size 1200x760

# A sample QBR from the demo book (fixed date and seed, so the same bytes every time).
sample-report: $(STAMP)
	d=$$(mktemp -d); CSDESK_DATA_DIR=$$d $(BIN)/csdesk demo --db $$d/demo.sqlite \
	  --as-of 2026-11-22 >/dev/null && \
	CSDESK_DATA_DIR=$$d $(BIN)/csdesk report qbr ACC-000132 --period 2026Q3 \
	  --as-of 2026-11-22 --db $$d/demo.sqlite -o docs/sample-qbr.pdf
	rm -f docs/sample-qbr-*.png
	pdftoppm -r 80 -png docs/sample-qbr.pdf docs/sample-qbr

sample-deck: $(STAMP)
	d=$$(mktemp -d); CSDESK_DATA_DIR=$$d $(BIN)/csdesk demo --db $$d/demo.sqlite \
	  --as-of 2026-11-22 >/dev/null && \
	CSDESK_DATA_DIR=$$d $(BIN)/csdesk report deck ACC-000132 --period 2026Q3 \
	  --as-of 2026-11-22 --db $$d/demo.sqlite -o docs/sample-qbr-deck.pptx --overwrite && \
	soffice --headless --convert-to pdf --outdir $$d docs/sample-qbr-deck.pptx >/dev/null && \
	rm -f docs/sample-deck-*.png && \
	pdftoppm -r 40 -png $$d/sample-qbr-deck.pdf docs/sample-deck

bench: $(STAMP)
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/usage_import.py
	$(BIN)/python benchmarks/xlsx_import.py
	$(BIN)/python benchmarks/demo_generation.py
	$(BIN)/python benchmarks/health_recompute.py
	$(BIN)/python benchmarks/renewals_pipeline.py
	$(BIN)/python benchmarks/playbooks.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/decks.py
	$(BIN)/python benchmarks/survival.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
