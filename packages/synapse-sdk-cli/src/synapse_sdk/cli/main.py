"""Entry point of the ``synapse`` command: global options and the command groups.

Each group lives in its own module and imports heavy libraries inside its commands, so
``synapse --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

# (group name, module holding a typer app called ``app``)
COMMAND_GROUPS: list[tuple[str, str]] = [
    ('plugin', 'synapse_sdk.cli.plugin'),
    ('config', 'synapse_sdk.cli.auth'),
    ('model', 'synapse_sdk.cli.model'),
    ('storage', 'synapse_sdk.cli.storage'),
    ('dataset', 'synapse_sdk.cli.dataset'),
    ('job', 'synapse_sdk.cli.job'),
    ('serve', 'synapse_sdk.cli.serve'),
    ('agent', 'synapse_sdk.cli.agent'),
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
        from synapse_sdk.core.version import sdk_version

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


@app.command('login')
def login(
    host: str = typer.Option(..., '--host', help='Platform URL, e.g. https://api.example.com'),
    token: str = typer.Option(..., '--token', '-t', help='Access token.', envvar='SYNAPSE_ACCESS_TOKEN'),
    tenant: str | None = typer.Option(None, '--tenant', help='Tenant code.'),
) -> None:
    """Save platform credentials (same as `synapse config login`)."""
    from synapse_sdk.cli.auth import login as save

    save(host=host, token=token, tenant=tenant)


def main() -> None:
    app()
