# One command to run, one to test; both build the virtual environment from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run demo test lint bench clean coverage-html

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,browser]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)
	$(BIN)/python app.py

demo: $(STAMP)
	$(BIN)/python app.py --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Coverage counts the app where it runs: the e2e tests' `python app.py` and the browser tests' demo
# are measured through coverage's subprocess patch (pyproject.toml), then combined and reported;
# the report fails the build under [tool.coverage.report] fail_under.
test: lint
	rm -f $(VENV)/.coverage $(VENV)/.coverage.*
	$(BIN)/python -m coverage run -m pytest -q -n 4
	$(BIN)/python -m coverage combine --quiet
	$(BIN)/python -m coverage report

coverage-html: $(STAMP)
	$(BIN)/python -m coverage html
	@echo "open $(VENV)/htmlcov/index.html"

# About 20 minutes on a 2-core machine (and the storm): the runs at 10,000 schedules take most of it.
bench: $(STAMP)
	$(BIN)/python bench/sync_scale.py --naive
	$(BIN)/python bench/sync_scale.py --schedules 10000 --bound 20
	$(BIN)/python bench/sync_scale.py --schedules 10000
	$(BIN)/python bench/slack_storm.py
	$(BIN)/python bench/slack_outage.py
	$(BIN)/python bench/retention.py
	$(BIN)/python bench/feeds.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
