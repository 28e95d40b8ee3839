"""Data safety of a conversion's output: never write over, into or around the source dataset, and
never let two conversions write one output folder at the same time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from synapse_sdk.core._lockfile import LockedError, exclusive_lock
from synapse_sdk.utils.converters.errors import OutputBusyError, UnsafeOutputError


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_output(
    source: str | os.PathLike[str], output: str | os.PathLike[str], *, images_dir: str | os.PathLike[str] | None = None
) -> None:
    """Refuse an output that is the source folder, lies inside it or contains it (symlinks resolved).

    A COCO source may be a JSON file: its folder is what the output must stay clear of.
    """
    out = Path(output).resolve()
    sources = [Path(source).resolve()]
    if images_dir is not None:
        sources.append(Path(images_dir).resolve())
    for src in sources:
        folder = src.parent if src.is_file() else src
        if out == folder:
            raise UnsafeOutputError('the output folder is the source dataset; choose another folder', file=out)
        if _inside(out, folder):
            raise UnsafeOutputError(f'the output folder lies inside the source dataset {folder}', file=out)
        if _inside(folder, out):
            raise UnsafeOutputError(
                f'the output folder contains the source dataset {folder}; replacing it would delete the source',
                file=out,
            )


@contextlib.contextmanager
def output_lock(output: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``output`` while it is written; :class:`OutputBusyError` if taken."""
    try:
        with exclusive_lock(output, what='another conversion'):
            yield
    except LockedError as error:
        raise OutputBusyError(str(error), file=None, details=error.details) from None
