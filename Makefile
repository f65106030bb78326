# The two commands in the README: `make run` and `make test`. Both set up what is missing first.
.PHONY: setup run serve test lint bench

setup:
	./scripts/setup

run: setup
	.venv/bin/takedown demo

serve: setup
	.venv/bin/takedown serve

test: setup
	./scripts/services
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/pytest -n 3

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy

bench: setup
	.venv/bin/python -m bench
