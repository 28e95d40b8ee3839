"""``synapse storage ls|upload|download|du CONFIG.json PATH``: the storage API from a shell.

CONFIG.json holds ``{"provider": ..., "configuration": {...}}`` (what ``get_storage`` takes).
Storage libraries load inside the commands, so ``synapse --help`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from synapse_sdk.cli.errors import fail, user_errors

if TYPE_CHECKING:
    from synapse_sdk.utils.storage import StorageProtocol

app = typer.Typer(help='Move files to and from a storage (local, S3, GCS, SFTP, HTTP).', no_args_is_help=True)

CONFIG_HELP = 'JSON file with {"provider": ..., "configuration": {...}}.'


def _storage(config_file: Path) -> StorageProtocol:
    from synapse_sdk.core._parsing import load_json
    from synapse_sdk.core.errors import ParseError
    from synapse_sdk.utils.storage import get_storage  # without synapse-sdk-storage: the install hint

    try:
        config = load_json(config_file)
    except ParseError as error:
        raise fail(f'cannot read the storage configuration: {error.message}') from None
    return get_storage(config)


def _human(size: float) -> str:
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if size < 1024 or unit == 'TiB':
            return f'{size:.0f} {unit}' if unit == 'B' else f'{size:.1f} {unit}'
        size /= 1024
    raise AssertionError('unreachable')  # pragma: no cover


@contextmanager
def _progress(description: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; yields the ``progress(done, total)`` callback."""
    if quiet:
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn('{task.description}'),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command('ls')
@user_errors
def ls(
    config: Path = typer.Argument(..., help=CONFIG_HELP),
    path: str = typer.Argument('', help='Folder key under the storage root.'),
    recursive: bool = typer.Option(False, '--recursive', '-r', help='List every file below PATH.'),
    long: bool = typer.Option(False, '--long', '-l', help='Show sizes.'),
) -> None:
    """List the keys under PATH."""
    store = _storage(config)
    for entry in store.list_details(path, recursive=recursive):
        if long:
            size = '-' if entry['type'] == 'directory' else str(entry['size'])
            typer.echo(f'{size:>12}  {entry["key"]}')
        else:
            typer.echo(entry['key'])


@app.command('upload')
@user_errors
def upload(
    config: Path = typer.Argument(..., help=CONFIG_HELP),
    source: Path = typer.Argument(..., help='Local file or folder.'),
    target: str = typer.Argument('', help='Key (for a file) or folder key (for a folder); default: the name.'),
    quiet: bool = typer.Option(False, '--quiet', '-q', help='No progress bar.'),
) -> None:
    """Upload a file, or a folder recursively, with a progress bar."""
    if not source.exists():
        raise fail(f'{str(source)!r} does not exist')
    store = _storage(config)
    if source.is_file():
        key = target if target and not target.endswith('/') else f'{target}{source.name}'
        pairs = [(source, key)]
    else:
        prefix = target.strip('/') if target else source.resolve().name
        pairs = [(p, f'{prefix}/{p.relative_to(source).as_posix()}') for p in sorted(source.rglob('*')) if p.is_file()]
        if not pairs:
            raise fail(f'{str(source)!r} holds no files')
    with _progress(f'upload to {store.provider}', quiet) as progress:
        urls = store.upload_many(pairs, progress=progress)
    typer.echo(
        urls[0] if len(urls) == 1 else f'uploaded {len(urls)} files to {store.uri(pairs[0][1].rsplit("/", 1)[0])}'
    )


@app.command('download')
@user_errors
def download(
    config: Path = typer.Argument(..., help=CONFIG_HELP),
    path: str = typer.Argument(..., help='Key of a file, or of a folder (downloaded recursively).'),
    destination: Path = typer.Argument(Path('.'), help='Local file or folder.'),
    quiet: bool = typer.Option(False, '--quiet', '-q', help='No progress bar.'),
) -> None:
    """Download a file, or a folder recursively, with a progress bar."""
    from synapse_sdk.utils.storage._keys import normalise_key

    store = _storage(config)
    key = normalise_key(path)
    # A folder lists its files; a file lists nothing (the listing leaves out the path itself).
    files = [e['key'] for e in store.list_details(key, recursive=True) if e['type'] == 'file']
    if files:
        base = key + '/' if key else ''
        pairs = [(k, destination / k[len(base) :]) for k in files]
    elif key and store.exists(key):
        target = destination / Path(key).name if destination.is_dir() else destination
        pairs = [(key, target)]
    else:
        raise fail(f'{path!r} does not exist in {store.uri()}')
    with _progress(f'download from {store.provider}', quiet) as progress:
        paths = store.download_many(pairs, progress=progress)
    typer.echo(str(paths[0]) if len(paths) == 1 else f'downloaded {len(paths)} files to {destination}')


@app.command('du')
@user_errors
def du(
    config: Path = typer.Argument(..., help=CONFIG_HELP),
    path: str = typer.Argument('', help='Folder key under the storage root.'),
    raw: bool = typer.Option(False, '--bytes', '-b', help='Exact byte count instead of KiB/MiB.'),
) -> None:
    """Count the files under PATH and their total size (one listing)."""
    store = _storage(config)
    count, size = store.stats(path)
    typer.echo(f'{count} files, {size if raw else _human(size)}{" bytes" if raw else ""}  {store.uri(path)}')
