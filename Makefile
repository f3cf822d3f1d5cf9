# The two commands a new user needs: `make demo` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest wheel-check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pixfix lab down >/dev/null 2>&1 || true
	$(BIN)/pixfix lab up --detach
	$(BIN)/pixfix audit -i inventories/lab.yaml --format table; test $$? -le 1
	$(BIN)/pixfix lab status
	@echo
	@echo "The lab keeps running; stop it with: $(BIN)/pixfix lab down"

test: lint typecheck pytest wheel-check

lint: $(STAMP)
	$(BIN)/ruff check pixfix tests $(wildcard benchmarks)
	$(BIN)/ruff format --check pixfix tests $(wildcard benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy --strict pixfix

pytest: $(STAMP)
	$(BIN)/pytest -q

# A plain (non-editable) install must work too, templates included.
wheel-check: $(STAMP)
	rm -rf dist && $(BIN)/python -m build --wheel --outdir dist . >/dev/null
	rm -rf $(VENV)-wheel && $(PYTHON) -m venv $(VENV)-wheel
	$(VENV)-wheel/bin/python -m pip install --quiet dist/*.whl
	$(VENV)-wheel/bin/pixfix --version
	$(VENV)-wheel/bin/pixfix lab --help >/dev/null
	$(VENV)-wheel/bin/python -c "from pixfix.resources import templates_dir; assert (templates_dir() / 'textfsm').is_dir()"
	rm -rf $(VENV)-wheel dist

clean:
	rm -rf $(VENV) $(VENV)-wheel dist .mypy_cache .ruff_cache .pytest_cache
