"""``synapse plugin``: run, list, describe and create plugins."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from synapse_sdk.cli._inputs import json_object_option
from synapse_sdk.cli.errors import fail, user_errors

app = typer.Typer(help='Run, inspect and create plugins.', no_args_is_help=True)

PATH_OPTION = typer.Option(
    Path('.'), '--path', '-p', help='Plugin folder or its config.yaml (default: current folder).'
)


def parse_params(text: str | None) -> dict[str, Any]:
    """``--params`` as inline JSON or ``@file.json``."""
    if text is None or text.strip() == '':
        return {}
    return json_object_option(text, '--params', '{"epochs": 10}')


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition('=')
        if not sep or not key.strip():
            raise fail(f'--env expects KEY=VALUE, got {pair!r}')
        env[key.strip()] = value
    return env


def _print_result(result: Any) -> None:
    if hasattr(result, 'model_dump'):
        result = result.model_dump(mode='json')
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))


@app.command('run')
@user_errors
def run(
    action: str = typer.Argument(..., help='Action name from config.yaml.'),
    path: Path = PATH_OPTION,
    params: str | None = typer.Option(None, '--params', help='JSON object, or @file.json.'),
    mode: str = typer.Option(
        'local', '--mode', '-m', help='local | task (Ray actor) | job (Ray job) | other registered modes.'
    ),
    lang: str | None = typer.Option(
        None, '--lang', '-l', help='Message language: en | ko (default: SYNAPSE_LANGUAGE or en).'
    ),
    env: list[str] = typer.Option([], '--env', '-e', help='KEY=VALUE for the action environment (repeatable).'),
    address: str | None = typer.Option(None, '--address', help='Ray address (task) or dashboard URL (job).'),
    follow: bool = typer.Option(False, '--follow', '-f', help='Job mode: stream logs until the job ends.'),
    events_file: Path | None = typer.Option(None, '--events-file', help='Also write every event as JSON lines here.'),
    include_sdk: bool = typer.Option(
        False, '--include-sdk', help='Task/job mode: ship the SDK to workers that do not have it.'
    ),
    quiet: bool = typer.Option(False, '--quiet', '-q', help='Print only the result.'),
) -> None:
    """Run ACTION of the plugin in PATH and print its result as JSON."""
    from synapse_sdk.plugins._events import ConsoleSink, EventSink, JsonlSink
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.executors._registry import available_modes, get_executor
    from synapse_sdk.plugins.runner import run_plugin

    parsed = parse_params(params)
    discovery = PluginDiscovery.from_path(path)
    discovery.get_action_config(action)  # unknown action: clear error before anything starts
    merged_env = {**discovery.config.env, **parse_env(env)}
    mode = 'job' if mode.lower() == 'jobs-api' else mode.lower()
    if mode.startswith('serve'):
        raise fail(f'mode {mode!r} serves the action: use `synapse plugin serve {action}`', code=2)
    if mode not in available_modes(include_hinted=True):
        raise fail(f'unknown mode {mode!r}; use one of: {", ".join(available_modes(include_hinted=True))}', code=2)
    get_executor(mode)  # a mode of a missing distribution: the install command, before anything starts
    kwargs: dict[str, Any] = {'language': lang}
    if merged_env:
        kwargs['env'] = merged_env
    if include_sdk and mode != 'local':
        kwargs['include_sdk'] = True
    if address:
        kwargs['address'] = address
    recorder: list[EventSink] = [JsonlSink(events_file, language=lang)] if events_file is not None else []
    console: list[EventSink] = [] if quiet else [ConsoleSink(lang)]
    # A job's events are already rendered in its own log; only the recorder gets them replayed.
    kwargs['sinks'] = recorder if mode == 'job' else [*console, *recorder]
    outcome = run_plugin(path, action, parsed, mode=mode, **kwargs)
    if mode != 'job':
        _print_result(outcome)
        return
    job_id = str(outcome)
    typer.echo(f'job_id: {job_id}', err=not follow)
    if follow:
        from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor

        executor = RayJobsApiExecutor(dashboard_address=address, sinks=recorder)
        for line in executor.follow(job_id):
            sys.stderr.write(line if line.endswith('\n') else line + '\n')
        _print_result(executor.wait(job_id))
    else:
        typer.echo(job_id)


@app.command('serve')
@user_errors
def serve(
    action: str = typer.Argument(..., help='Action name from config.yaml (e.g. inference).'),
    path: Path = PATH_OPTION,
    params: str | None = typer.Option(None, '--params', help='Default params of every request: JSON, or @file.json.'),
    port: int = typer.Option(8000, '--port', help='Local mode: port on 127.0.0.1 (0: any free port).'),
    host: str = typer.Option('127.0.0.1', '--host', help='Local mode: interface to listen on.'),
    address: str | None = typer.Option(
        None, '--address', help='Ray cluster address: deploy on Ray Serve instead of serving here.'
    ),
    replicas: int | None = typer.Option(None, '--replicas', help='Ray Serve: number of replicas.'),
    num_gpus: float | None = typer.Option(None, '--num-gpus', help='Ray Serve: GPUs per replica.'),
    max_models: int = typer.Option(3, '--max-models', help='Models kept loaded per replica (LRU).'),
    lang: str | None = typer.Option(None, '--lang', '-l', help='Message language: en | ko.'),
    env: list[str] = typer.Option([], '--env', '-e', help='KEY=VALUE for the action environment (repeatable).'),
    include_sdk: bool = typer.Option(False, '--include-sdk', help='Ray Serve: ship the SDK to the replicas.'),
) -> None:
    """Serve ACTION over HTTP: here on loopback (foreground, Ctrl-C stops), or on Ray Serve with --address."""
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.executors._registry import ActionRef, get_executor

    parsed = parse_params(params)
    discovery = PluginDiscovery.from_path(path)
    discovery.get_action_config(action)
    merged_env = {**discovery.config.env, **parse_env(env)}
    ref = ActionRef(action, discovery=discovery)
    options: dict[str, Any] = {'language': lang, 'max_models_per_replica': max_models}
    if merged_env:
        options['env'] = merged_env
    if address:
        if replicas is not None:
            options['num_replicas'] = replicas
        if num_gpus is not None:
            options['num_gpus'] = num_gpus
        if include_sdk:
            options['include_sdk'] = True
        handle = get_executor('serve_ray')(address=address, **options).run(ref, parsed)
        typer.echo(handle.url)
        typer.echo(f'Deployed on Ray Serve at {address}. Stop it with: synapse serve delete', err=True)
        return
    from synapse_sdk.plugins._events import ConsoleSink
    from synapse_sdk.plugins._serving.local import LocalServeExecutor

    server = LocalServeExecutor(host=host, port=port, sinks=[ConsoleSink(lang)], **options).server(ref, parsed)
    typer.echo(server.url)
    typer.echo(f'Serving {action!r} at {server.url} (GET {server.url}/health). Ctrl-C stops.', err=True)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        typer.echo('Stopped.', err=True)


@app.command('list')
@user_errors
def list_actions(path: Path = PATH_OPTION) -> None:
    """List the plugin's actions with their run methods and descriptions."""
    from rich.console import Console
    from rich.table import Table

    from synapse_sdk.plugins.discovery import PluginDiscovery

    discovery = PluginDiscovery.from_path(path)
    config = discovery.config
    table = Table(title=f'{config.name} ({config.code} {config.version}, {config.category.value})')
    for column in ('action', 'method', 'entrypoint', 'description'):
        table.add_column(column)
    for name in discovery.list_actions():
        action = discovery.get_action_config(name)
        table.add_row(name, action.method.value, action.entrypoint, action.description)
    Console().print(table)


@app.command('describe')
@user_errors
def describe(action: str = typer.Argument(...), path: Path = PATH_OPTION) -> None:
    """Print ACTION's configuration and its params JSON schema."""
    from synapse_sdk.plugins.discovery import PluginDiscovery

    discovery = PluginDiscovery.from_path(path)
    config = discovery.get_action_config(action)
    schema = discovery.get_action_params_schema(action)
    _print_result({**config.model_dump(mode='json'), 'params_schema': schema})


@app.command('create')
@user_errors
def create(
    path: Path = typer.Option(..., '--path', '-p', help='Folder to create.'),
    name: str = typer.Option(..., '--name', '-n', help='Display name.'),
    code: str | None = typer.Option(None, '--code', help='Slug id (default: from the name).'),
    category: str = typer.Option(
        'custom',
        '--category',
        '-c',
        help='Plugin category: neural_net (train + served inference), export, upload, pre_annotation (to_task), '
        'smart_tool (auto_label + inference), post_annotation, data_validation, custom.',
    ),
    description: str = typer.Option('', '--description', '-d'),
) -> None:
    """Scaffold a runnable plugin for a category."""
    from synapse_sdk.plugins._scaffold import create_plugin

    root = create_plugin(path, name=name, code=code, category=category, description=description)
    typer.echo(f'Created {root}. Next: cd {root} && synapse plugin list')


def _register_backend_commands() -> None:
    from synapse_sdk.cli._backend_commands import register

    register(None, None, app)  # synapse plugin publish


_register_backend_commands()
