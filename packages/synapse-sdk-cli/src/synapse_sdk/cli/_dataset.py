"""``synapse dataset``: detect, convert, validate and preview datasets in every registered format.

The formats come from the converters' registry (built in or added through its entry points): the
help names ``synapse dataset formats``, TAB completes them. Heavy imports (the converters, Pillow)
happen inside the commands so ``synapse --help`` stays light.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from synapse_sdk.utils.converters import ConversionSummary
    from synapse_sdk.utils.converters._detect import Layout

app = typer.Typer(
    help='Convert, validate and preview datasets (DM, YOLO, COCO, VOC, CVAT, ...: see `synapse dataset formats`).',
    no_args_is_help=True,
)


@functools.cache
def _console() -> Console:
    from rich.console import Console  # imported on use: `synapse --help` stays fast

    return Console(stderr=True)


FORMATS = 'see `synapse dataset formats`; TAB completes'


def _complete(kind: str) -> Callable[[str], list[str]]:
    """Shell completion of format names (and aliases) the registry can ``kind`` ('read' or 'write')."""

    def complete(incomplete: str) -> list[str]:
        from synapse_sdk.utils.converters._formats import format_names

        return [n for n in format_names(kind, include_aliases=True) if n.startswith(incomplete.lower())]

    return complete


def _error(message: str) -> None:
    from rich.text import Text

    _console().print(Text.assemble(('Error: ', 'red'), message), soft_wrap=True)


def _plain(message: str, style: str | None = None) -> None:
    _console().print(message, markup=False, highlight=False, soft_wrap=True, style=style)


@contextmanager
def _user_errors() -> Iterator[None]:
    """One clear message and exit code 1 for mistakes in the input; no traceback."""
    from synapse_sdk.core.errors import SynapseError

    try:
        yield
    except SynapseError as error:
        _error(str(error.details.get('cli_message') or error))  # the CLI's own wording (--overwrite, --images)
        raise typer.Exit(1) from None
    except (FileNotFoundError, PermissionError, NotADirectoryError) as error:
        _error(str(error))
        raise typer.Exit(1) from None


@contextmanager
def _progress_bar(description: str, quiet: bool) -> Iterator[Callable[[int, int | None], None] | None]:
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # no refresh thread (auto_refresh=False): ``--workers`` may then fork its processes safely
    with Progress(
        TextColumn('{task.description}'),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(description, total=None)
        shown = [0]

        def update(done: int, total: int | None) -> None:
            if done == 1 or done - shown[0] >= 50 or done == total:  # workers=N report a batch at a time
                shown[0] = done
                bar.update(task, completed=done, total=total, refresh=True)

        yield update


def _print_summary(summary: ConversionSummary, title: str, show: int) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), show_lines=False)
    table.add_column('split')
    table.add_column('images', justify='right')
    table.add_column('annotations')
    for split, count in summary.images.items():
        kinds = summary.annotations.get(split, {})
        table.add_row(split, str(count), ', '.join(f'{k} {n}' for k, n in sorted(kinds.items())) or '-')
    _console().print(table)
    _plain(f'classes ({len(summary.classes)}): {", ".join(summary.classes[:30])}')
    reasons = summary.report.reasons()
    if reasons:
        _console().print('[bold]report[/bold]')
        for reason, count in sorted(reasons.items(), key=lambda pair: -pair[1])[:show]:
            _plain(f'  {count:>6}  {reason}')
        for entry in summary.report.entries[:show]:
            _plain(f'    {entry}', style='dim')


def _write_report(summary: ConversionSummary, path: Path | None) -> None:
    if path is not None:
        path.write_text(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False), encoding='utf-8')
        _plain(f'full report written to {path}')


CategorizedOption = Annotated[
    bool | None,
    typer.Option(
        '--categorized/--flat',
        help='Force reading train/valid/test splits (--categorized) or one flat dataset (--flat); '
        'detected when neither is given.',
    ),
]
ImagesOption = Annotated[
    Path | None, typer.Option('--images', help='Folder holding the images, when the layout does not say.')
]
ReadFormatOption = Annotated[
    str,
    typer.Option('--format', '-f', help=f'Dataset format ({FORMATS}), or auto.', autocompletion=_complete('read')),
]


@app.command()
def detect(
    path: Annotated[Path, typer.Argument(help='Dataset folder (or a COCO JSON file).')],
    fmt: Annotated[str | None, typer.Option('--format', '-f', help=f'Only look for this format: {FORMATS}.')] = None,
    images_dir: ImagesOption = None,
    as_json: Annotated[bool, typer.Option('--json', help='Print the layout as JSON.')] = False,
) -> None:
    """Name the format, layout and splits of PATH, and what could not be placed."""
    with _user_errors():
        from synapse_sdk.utils.converters import detect_layout
        from synapse_sdk.utils.converters._formats import READERS, format_name

        name = format_name(fmt, READERS) if fmt else None
        layout = detect_layout(path, name, images_dir=images_dir)
    if as_json:
        typer.echo(json.dumps(layout.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_layout(layout)


def _print_layout(layout: Layout) -> None:
    import os

    from rich.table import Table
    from rich.text import Text

    base = layout.root.parent if layout.root.is_file() else layout.root

    def short(value: Path | None) -> str:
        if value is None:
            return '-'
        text = os.path.relpath(value, base) if value.is_relative_to(base) else str(value)
        return text + ('/' if value.is_dir() else '')

    splits = ', '.join(s or '(flat)' for s in layout.splits)
    _plain(f'{layout.root}: {layout.format} ({layout.layout}), splits: {splits}')
    table = Table(title=Text('parts'), show_lines=False)
    for column in ('split', 'annotations', 'images', 'image list'):
        table.add_column(column)
    for part in layout.parts:
        images = ', '.join(short(p) for p in part.images if p.is_dir()) or short(
            part.images[0] if part.images else None
        )
        table.add_row(part.split or '(flat)', short(part.annotations), images, short(part.listing))
    _console().print(table)
    if layout.names is not None:
        _plain(f'classes ({len(layout.names)}): {", ".join(layout.names[:30])}')
    for note in layout.notes:
        _plain(f'note: {note}')
    for entry in layout.unplaced:
        _plain(f'not placed: {entry}', style='yellow')
    hint = f' --from {layout.format}' if layout.format else ''
    _plain(f'convert with: synapse dataset convert {layout.root} DST{hint} --to FORMAT', style='dim')


@app.command()
def convert(
    src: Annotated[Path, typer.Argument(help='Dataset folder to read (or a COCO JSON file).')],
    dst: Annotated[Path, typer.Argument(help='Folder to write; created atomically.')],
    target: Annotated[
        str, typer.Option('--to', '-t', help=f'Target format ({FORMATS}).', autocompletion=_complete('write'))
    ],
    source: Annotated[
        str,
        typer.Option(
            '--from', '-f', help=f'Source format ({FORMATS}), or auto (detected).', autocompletion=_complete('read')
        ),
    ] = 'auto',
    categorized: CategorizedOption = None,
    images_dir: ImagesOption = None,
    strict: Annotated[bool, typer.Option('--strict', help='Fail on the first skipped or changed item.')] = False,
    overwrite: Annotated[bool, typer.Option('--overwrite', help='Replace DST if it exists.')] = False,
    image_mode: Annotated[
        str, typer.Option('--image-mode', help='copy, link (hard link when possible) or none.')
    ] = 'copy',
    report: Annotated[Path | None, typer.Option('--report', help='Write the full report as JSON here.')] = None,
    quiet: Annotated[bool, typer.Option('--quiet', '-q', help='No progress bar.')] = False,
    task: Annotated[
        str,
        typer.Option('--task', help='YOLO output: detect, segment, pose or auto (one task per dataset).'),
    ] = 'auto',
    workers: Annotated[
        int,
        typer.Option(
            '--workers', '-w', min=1, help='Processes that write a per-image format (YOLO, VOC, DM); same output.'
        ),
    ] = 1,
) -> None:
    """Convert SRC in one format into DST in another."""
    with _user_errors():
        from synapse_sdk.utils.converters import get_converter

        if images_dir is not None and str(images_dir) in ('copy', 'link', 'none') and not images_dir.is_dir():
            image_mode, images_dir = str(images_dir), None  # the old meaning of --images
        if image_mode not in ('copy', 'link', 'none'):
            raise typer.BadParameter('use copy, link or none', param_hint='--image-mode')
        if task not in ('detect', 'segment', 'pose', 'auto'):
            raise typer.BadParameter('use detect, segment, pose or auto', param_hint='--task')
        options = {'task': task} if task != 'auto' else {}
        with _progress_bar(f'{source} -> {target}', quiet) as progress:
            converter = get_converter(
                source,
                target,
                root_dir=src,
                is_categorized=categorized,
                images_dir=images_dir,
                strict=strict,
                images=image_mode,
                progress=progress,
                workers=workers,
                **options,
            )
            summary = converter.save_to_folder(dst, overwrite=overwrite)
        _print_summary(summary, f'{summary.source} -> {summary.target}: {dst}', show=10)
        _write_report(summary, report)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help='Dataset folder (or a COCO JSON file).')],
    fmt: ReadFormatOption = 'auto',
    categorized: CategorizedOption = None,
    images_dir: ImagesOption = None,
    report: Annotated[Path | None, typer.Option('--report', help='Write the full report as JSON here.')] = None,
    quiet: Annotated[bool, typer.Option('--quiet', '-q', help='No progress bar.')] = False,
) -> None:
    """Check a dataset and list its problems; exit code 1 when there are any."""
    with _user_errors():
        from synapse_sdk.utils.converters import validate_dataset

        with _progress_bar(f'validating {fmt}', quiet) as progress:
            summary = validate_dataset(fmt, path, is_categorized=categorized, images_dir=images_dir, progress=progress)
        _print_summary(summary, f'{summary.source}: {path}', show=20)
        _write_report(summary, report)
    problems = sum(1 for entry in summary.report.entries if entry.action != 'lost')
    if problems:
        _console().print(f'[red]{problems} problem(s) found[/red]')
        raise typer.Exit(1)
    _console().print('[green]no problems found[/green]')


@app.command()
def preview(
    path: Annotated[Path, typer.Argument(help='Dataset folder (or a COCO JSON file).')],
    out: Annotated[Path, typer.Argument(help='Folder for the preview images.')],
    fmt: ReadFormatOption = 'auto',
    categorized: CategorizedOption = None,
    images_dir: ImagesOption = None,
    limit: Annotated[int, typer.Option('--limit', '-n', min=1, help='How many images to draw.')] = 8,
) -> None:
    """Draw boxes, polygons and keypoints onto a few images so a person can look at them."""
    with _user_errors():
        from synapse_sdk.utils.converters import preview_dataset

        written = preview_dataset(fmt, path, out, is_categorized=categorized, images_dir=images_dir, limit=limit)
    for file in written:
        typer.echo(str(file))
    if not written:
        _console().print('[yellow]no images with files found[/yellow]')


@app.command()
def formats() -> None:
    """List the dataset formats: built in and installed through entry points, with what each writer keeps."""
    from rich.console import Console
    from rich.table import Table

    from synapse_sdk.utils.converters._formats import READERS, WRITERS, format_names
    from synapse_sdk.utils.converters._support import CAPABILITIES, writer_holds

    table = Table(title='dataset formats')
    for column in ('format', 'aliases', 'read', 'write', 'writer keeps'):
        table.add_column(column)
    for name in format_names():
        registry = READERS if name in READERS.names() else WRITERS
        aliases = ', '.join(registry.entry(name).aliases)
        writable = name in WRITERS.names()
        keeps = ', '.join(CAPABILITIES[k] for k in CAPABILITIES if k in writer_holds(name)) if writable else '-'
        table.add_row(name, aliases, 'yes' if name in READERS.names() else '-', 'yes' if writable else '-', keeps)
    Console().print(table)


def _register_backend_commands() -> None:
    from synapse_sdk.cli._backend_commands import register

    register(app, None, None)  # synapse dataset register NAME PATH, synapse dataset list


_register_backend_commands()
