"""``synapse serve list|status|delete``: look after served actions (Ray Serve applications).

Works against the cluster at ``--address`` (its GCS address, ``host:6379``) or ``RAY_ADDRESS``.
Ray is imported inside the commands so ``synapse --help`` stays light.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from synapse_sdk.cli.errors import user_errors

app = typer.Typer(help='List, inspect and delete served actions on a Ray cluster (Ray Serve).', no_args_is_help=True)

ADDRESS_OPTION = typer.Option(
    None, '--address', '-a', envvar='RAY_ADDRESS', help='Ray cluster address (host:6379); default RAY_ADDRESS.'
)
NAME = typer.Argument(..., help='Application name, as printed by `synapse serve list` (<plugin>-<action>).')
JSON_OPTION = typer.Option(False, '--json', help='Print JSON instead of text.')


def _replicas(app_info: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for deployment in app_info['deployments'].values():
        for state, count in deployment['replicas'].items():
            counts[state] = counts.get(state, 0) + count
    return ', '.join(f'{count} {state.lower()}' for state, count in sorted(counts.items())) or 'no replicas'


@app.command('list')
@user_errors
def list_apps(address: str | None = ADDRESS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Print every Serve application: name, status, URL, replicas."""
    from synapse_sdk.ray._serve.admin import list_applications

    apps = list_applications(address)
    if as_json:
        typer.echo(json.dumps(apps, indent=2, ensure_ascii=False))
        return
    if not apps:
        typer.echo('No Serve applications on the cluster.')
        return
    for info in apps:
        typer.echo(f'{info["name"]}\t{info["status"]}\t{info["url"] or "-"}\t{_replicas(info)}')


@app.command('status')
@user_errors
def status(name: str = NAME, address: str | None = ADDRESS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Print one application's status, URL and deployments."""
    from synapse_sdk.ray._serve.admin import application_status

    info = application_status(name, address)
    if as_json:
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    typer.echo(f'{info["name"]}: {info["status"]}' + (f' ({info["message"]})' if info['message'] else ''))
    typer.echo(f'url: {info["url"] or "-"}')
    for dep_name, dep in info['deployments'].items():
        line = f'deployment {dep_name}: {dep["status"]}, {_replicas({"deployments": {dep_name: dep}})}'
        typer.echo(line + (f' ({dep["message"]})' if dep['message'] else ''))


@app.command('delete')
@user_errors
def delete(name: str = NAME, address: str | None = ADDRESS_OPTION) -> None:
    """Delete the application and stop its replicas."""
    from synapse_sdk.ray._serve.admin import delete_application

    delete_application(name, address)
    typer.echo(f'{name}: deleted')
