# Two commands do all set-up on a fresh machine:
#   make run    venv + packages + Debian deps + migrated SQLite under instance/ + the demo books
#               (first start only: an empty database) + serve :5000
#   make serve  production: gunicorn against PostgreSQL (HUZHU_DATABASE_URL; created and
#               migrated first), bound to HUZHU_BIND (127.0.0.1:8000)
#   make test   the same set-up, then lint, architecture contracts and the whole test suite
#               (SQLite, and PostgreSQL when it answers on 127.0.0.1:5432 or HUZHU_TEST_PG_URL)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: run serve test setup system-deps translations db lint clean

run: setup db
	$(BIN)/flask --app api demo load --if-empty
	HUZHU_ENV=development $(BIN)/flask --app api run --host 127.0.0.1 --port 5000

HUZHU_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/huzhu
HUZHU_BIND ?= 127.0.0.1:8000
WORKERS ?= $(shell echo $$((2 * $$(nproc) + 1)))

serve: setup
	HUZHU_DATABASE_URL='$(HUZHU_DATABASE_URL)' bash scripts/serve.sh '$(HUZHU_BIND)' '$(WORKERS)'

test: setup db
	@bash scripts/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

setup: system-deps $(STAMP) translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

system-deps:
	@bash scripts/system-deps.sh

translations: $(STAMP)
	$(BIN)/pybabel compile -d api/translations >/dev/null

db:
	$(BIN)/flask --app api db upgrade

lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .ruff_cache .hypothesis
