# Dev commands in one place. Every target runs through uv against the locked workspace.
export UV_PYTHON_DOWNLOADS := never
PY_SMOKE ?= 3.11 3.10 3.13

.PHONY: install format lint typecheck test test-fast wheels upgrade smoke bench lock ci readme docs

install:            ## editable install of every member plus dev tools
	uv sync --locked

format:
	uv run ruff format .
	uv run ruff check --fix .

lint:
	uv run ruff check .
	uv run ruff format --check .

typecheck:
	uv run mypy

test:               ## the full suite, real servers included (started by session fixtures)
	uv run pytest

test-fast:          ## skip tests that start servers or a Ray head
	uv run pytest -m "not integration and not ray"

wheels:             ## build seven wheels, install each alone in a fresh venv and import it
	uv run python scripts/check_wheels.py

upgrade:            ## upgrading from the published single-package synapse-sdk, the ways README documents
	uv run python scripts/check_upgrade.py

smoke:              ## install-and-import smoke test on other interpreters
	uv run python scripts/check_wheels.py $(foreach v,$(PY_SMOKE),--python $(v))

bench:              ## side-by-side benchmarks (not part of the test run); each prints a table of ratios
	uv run python benchmarks/plugins/bench_plugins.py
	uv run python benchmarks/backend/bench_backend.py
	uv run python benchmarks/storage/bench_s3.py
	uv run python benchmarks/converters/run.py
	uv run python benchmarks/ray/bench_actor.py
	uv run python benchmarks/ray/bench_jobs.py

lock:
	uv lock

ci:
	.ci/run

readme:             ## README's commands, as written, in a fresh clone
	uv run python scripts/check_readme.py

docs:               ## the documentation site (guides + API reference), strict: a broken reference fails
	NO_MKDOCS_2_WARNING=1 uv run --group docs mkdocs build --strict
