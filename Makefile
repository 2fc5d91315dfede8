# One entry point per job. Everything runs inside .venv, created from the locked
# versions in constraints.txt, so a fresh machine gets what CI tested.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench lock clean-venv

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test,dev]"
	touch $(STAMP)

run: $(STAMP)            ## clean the bundled samples: raw/ -> clean/
	$(BIN)/cleaner run raw clean

test: $(STAMP)           ## the whole test suite, then lint and types
	$(BIN)/python -m pytest
	$(BIN)/ruff check cleaner tests bench
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check cleaner tests bench
	$(BIN)/ruff format --check cleaner tests bench
	$(BIN)/mypy

bench: $(STAMP)          ## benchmarks (slow; results land in bench/results/)
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[bench]"
	$(BIN)/python -m pip install -q --no-deps text-dedup==0.4.0
	$(BIN)/python -m bench.pagedump_f1
	$(BIN)/python -m bench.pagedump_pipeline
	$(BIN)/python -m bench.text_stages
	$(BIN)/python -m bench.validate_bench
	nice $(BIN)/python -m bench.dedup_bench --sizes 25000 200000 1000000 --peers-up-to 25000
	nice $(BIN)/python -m bench.dedup_scaling --base 25000 --copies 1 8 40 --prefixes 25000 200000 1000000 --repeats 3

lock:                    ## re-resolve and pin every dependency into constraints.txt
	rm -rf /tmp/cleaner-lock && $(PYTHON) -m venv /tmp/cleaner-lock
	/tmp/cleaner-lock/bin/python -m pip install -q --upgrade pip
	/tmp/cleaner-lock/bin/python -m pip install -q -e ".[test,dev,bench]"
	/tmp/cleaner-lock/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean-venv:
	rm -rf $(VENV)
