"""``synapse model``: the models registered on the backend."""

from __future__ import annotations

import typer

from synapse_sdk.cli._backend_commands import register

app = typer.Typer(help='Models registered on the backend (local or platform).', no_args_is_help=True)
register(None, app, None)
