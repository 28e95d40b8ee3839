"""Entry point of the ``synapse`` command: global options and the command groups.

Each group lives in its own module and imports heavy libraries inside its commands, so
``synapse --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

from synapse_sdk.core.version import sdk_version

# (group name, module holding a typer app called ``app``)
COMMAND_GROUPS: list[tuple[str, str]] = [
    ('plugin', 'synapse_sdk.cli.plugin'),
    ('job', 'synapse_sdk.cli.job'),
    ('agent', 'synapse_sdk.cli.agent'),
]

app = typer.Typer(
    name='synapse',
    help='Synapse SDK: write, run and ship plugins; convert datasets; move files.',
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
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
    app.add_typer(importlib.import_module(_module).app, name=_name)


def main() -> None:
    app()
