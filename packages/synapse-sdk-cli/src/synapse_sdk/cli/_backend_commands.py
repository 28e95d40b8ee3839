"""Backend commands: ``synapse dataset register|list``, ``synapse model list``, ``synapse plugin publish``.

``register(dataset_app, model_app, plugin_app)`` adds them to the given typer groups (any may be
``None``). They talk to the default backend: the platform when ``SYNAPSE_HOST`` and
``SYNAPSE_ACCESS_TOKEN`` are set, otherwise the embedded local backend under ``SYNAPSE_HOME``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from synapse_sdk.cli._inputs import json_object_option
from synapse_sdk.cli.errors import fail, user_errors


def _client() -> Any:
    from synapse_sdk.clients._factory import default_client

    return default_client()


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*('' if v is None else str(v) for v in row))
    Console().print(table)


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _parse_storage(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    value = json_object_option(text, '--storage', '{"provider": "s3", "configuration": {...}}')
    if 'provider' not in value:
        raise fail('--storage must be a JSON object like {"provider": "s3", "configuration": {...}}')
    return value


@user_errors
def dataset_register(
    name: str = typer.Argument(..., help='Name to register the dataset under.'),
    path: Path = typer.Argument(..., help='DM dataset folder (json/ + original_files/, or train/ valid/ test/).'),
    format: str = typer.Option('dm_v2', '--format', help='DM version of the JSON files: dm_v2 or dm_v1.'),
    replace: bool = typer.Option(False, '--replace', help='Re-scan and replace a dataset of the same name.'),
    project: str | None = typer.Option(
        None, '--project', help='Also create a project of this name with one task per item (for to_task, export).'
    ),
) -> None:
    """Register a local DM dataset folder (its files stay where they are)."""
    client = _client()
    if not hasattr(client, 'register_dataset'):
        raise fail('the configured backend cannot register local folders')
    dataset = client.register_dataset(name, path, format=format, replace=replace)
    typer.echo(
        f'Registered dataset {dataset["name"]!r} (id {dataset["id"]}): {dataset["count"]} items from {dataset["path"]}'
    )
    if project:
        created = client.create_project(project, dataset['id'])
        typer.echo(f'Created project {created["name"]!r} (id {created["id"]}) with {created["task_count"]} tasks')


@user_errors
def dataset_list(as_json: bool = typer.Option(False, '--json', help='Print JSON instead of a table.')) -> None:
    """List the datasets of the backend."""
    datasets = _client().list_datasets()
    if as_json:
        return _json(datasets)
    rows = [[d.get('id'), d.get('name'), d.get('count'), d.get('format'), d.get('path')] for d in datasets]
    _table('Datasets', ['ID', 'Name', 'Items', 'Format', 'Path'], rows)


@user_errors
def model_list(
    name: str | None = typer.Option(None, '--name', help='Only models with this name.'),
    as_json: bool = typer.Option(False, '--json', help='Print JSON instead of a table.'),
) -> None:
    """List the models of the backend."""
    models = _client().list_models({'name': name} if name else None)
    if as_json:
        return _json(models)
    rows = []
    for m in models:
        file = m.get('file') if isinstance(m.get('file'), dict) else {'name': m.get('file')}
        rows.append(
            [
                m.get('id'),
                m.get('name'),
                m.get('category'),
                file.get('name'),
                file.get('size'),
                str(file.get('checksum') or '')[:12],
            ]
        )
    _table('Models', ['ID', 'Name', 'Category', 'File', 'Bytes', 'Checksum'], rows)


@user_errors
def plugin_publish(
    path: Path = typer.Option(Path('.'), '--path', '-p', help='Plugin folder or its config.yaml.'),
    dry_run: bool = typer.Option(False, '--dry-run', help='Show what would be published, upload nothing.'),
    storage: str | None = typer.Option(
        None, '--storage', help='Publish into a storage instead of the backend: JSON config or @file.json.'
    ),
    no_git: bool = typer.Option(False, '--no-git', help='Do not ask git which files to ship; use the ignore files.'),
) -> None:
    """Archive the plugin (honouring .gitignore and .synapseignore) and publish it once per content."""
    from synapse_sdk.plugins._upload import publish_plugin

    storage_config = _parse_storage(storage)
    result = publish_plugin(path, storage=storage_config, dry_run=dry_run, use_git=not no_git)
    typer.echo(f'Plugin {result.plugin} {result.version}: {len(result.files)} files, checksum {result.checksum}')
    shown = result.files if dry_run else result.files[:15]
    for name in shown:
        typer.echo(f'  {name}')
    if len(result.files) > len(shown):
        typer.echo(f'  ... and {len(result.files) - len(shown)} more')
    if dry_run and result.excluded:
        typer.echo(f'Excluded ({len(result.excluded)}):')
        for skipped in result.excluded:
            typer.echo(f'  {skipped.path}  [{skipped.reason}]')
    for warning in result.warnings:
        typer.secho(f'Warning: {warning}', fg=typer.colors.YELLOW, err=True)
    if result.dry_run:
        if result.refused:
            typer.echo(f'Refused ({len(result.refused)}), publishing would fail:')
            for skipped in result.refused:
                typer.echo(f'  {skipped.path}  [{skipped.reason}]')
            raise fail(
                f'{len(result.refused)} file(s) look like secrets; exclude them in .synapseignore, or ship one on '
                f'purpose with `!{result.refused[0].path}` in .synapseignore'
            )
        typer.echo('Dry run: nothing was uploaded.')
        return
    where = result.url or (f'release {result.release.get("id")}' if result.release else result.destination)
    state = 'already published (unchanged), nothing uploaded' if result.is_cached else 'published'
    typer.echo(f'{state}: {where}')


def register(dataset_app: typer.Typer | None, model_app: typer.Typer | None, plugin_app: typer.Typer | None) -> None:
    """Add the backend commands to the CLI's ``dataset``, ``model`` and ``plugin`` groups."""
    if dataset_app is not None:
        dataset_app.command('register')(dataset_register)
        dataset_app.command('list')(dataset_list)
    if model_app is not None:
        model_app.command('list')(model_list)
    if plugin_app is not None:
        plugin_app.command('publish')(plugin_publish)
