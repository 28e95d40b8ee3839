"""Entry point of the ``synapse`` command: global options and the command groups.

Each group lives in its own module and imports heavy libraries inside its commands, so
``synapse --help`` stays fast.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, TextIO

import typer

# (group name, module holding a typer app called ``app``)
COMMAND_GROUPS: list[tuple[str, str]] = [
    ('plugin', 'synapse_sdk.cli._plugin'),
    ('config', 'synapse_sdk.cli._auth'),
    ('model', 'synapse_sdk.cli._model'),
    ('storage', 'synapse_sdk.cli._storage'),
    ('dataset', 'synapse_sdk.cli._dataset'),
    ('job', 'synapse_sdk.cli._job'),
    ('serve', 'synapse_sdk.cli._serve'),
    ('agent', 'synapse_sdk.cli._agent'),
]

app = typer.Typer(
    name='synapse',
    help='Synapse SDK: write, run and ship plugins; convert datasets; move files.',
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs ~0.4 s per invocation
)


def _version(value: bool) -> None:
    if value:
        from synapse_sdk.core._version import sdk_version

        typer.echo(f'synapse-sdk {sdk_version()}')
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, '--version', '-v', help='Show the version and exit.', callback=_version, is_eager=True
    ),
) -> None:
    """Synapse SDK command line."""


for _name, _module in COMMAND_GROUPS:
    _group = importlib.import_module(_module).app
    _group.rich_markup_mode = None
    app.add_typer(_group, name=_name)


@app.command('doctor')
def doctor(
    address: str | None = typer.Option(None, '--address', '-a', help='A Ray address to check (default: RAY_ADDRESS).'),
    storage: str | None = typer.Option(None, '--storage', help='A storage configuration JSON file to check.'),
    timeout: float = typer.Option(3.0, '--timeout', help='Seconds to wait for each remote service.'),
) -> None:
    """Check Python, the installed distributions, credentials, Ray and storage; say what to fix."""
    from pathlib import Path

    from synapse_sdk.cli._doctor import doctor as run

    run(address=address, storage=Path(storage) if storage else None, timeout=timeout)


@app.command('login')
def login(
    host: str = typer.Option(..., '--host', help='Platform URL, e.g. https://api.example.com'),
    token: str = typer.Option(..., '--token', '-t', help='Access token.', envvar='SYNAPSE_ACCESS_TOKEN'),
    tenant: str | None = typer.Option(None, '--tenant', help='Tenant code.'),
) -> None:
    """Save platform credentials (same as `synapse config login`)."""
    from synapse_sdk.cli._auth import login as save

    save(host=host, token=token, tenant=tenant)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
    _default: Any = warnings.showwarning,
) -> None:
    """The SDK's own warnings as one line on stderr; everything else as Python shows it."""
    from synapse_sdk.core.errors import SynapseWarning

    if issubclass(category, SynapseWarning):
        typer.secho(f'Warning: {message}', fg=typer.colors.YELLOW, err=True)
        return
    _default(message, category, filename, lineno, file, line)


def main() -> None:
    warnings.showwarning = _show_warning
    try:
        app()
    except ModuleNotFoundError as error:
        # A command needs an SDK distribution that is not installed: say which one, and how.
        from synapse_sdk.core._lazy import missing_distribution, portion_of

        portion = portion_of(error.name or '')
        hint = missing_distribution(error, portion) if portion else error
        if hint is error:
            raise
        typer.secho(f'Error: {hint}', fg=typer.colors.RED, err=True)
        raise SystemExit(1) from None
