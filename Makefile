# Two commands matter: `make run` and `make test` (see README.md). Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres lint lint-python lint-js typecheck format vendor bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The browser code's lint, format and unit-test tools (ESLint, Prettier; node's own test runner).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/support serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: lint-python typecheck lint-js

lint-python: $(STAMP)
	$(BIN)/ruff check support tests bench
	$(BIN)/ruff format --check support tests bench

typecheck: $(STAMP)
	$(BIN)/mypy support

lint-js: $(NODE_STAMP)
	npx --no-install eslint static tests/js
	npx --no-install prettier --check "static/**/*.{js,css}" "tests/js/**/*.js"

format: $(STAMP)
	$(BIN)/ruff format support tests bench
	$(BIN)/ruff check --fix support tests bench
	npx --no-install prettier --write "static/**/*.{js,css}" "tests/js/**/*.js"

vendor:
	bash scripts/vendor.sh

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache test-artifacts
