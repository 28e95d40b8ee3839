"""Folder conventions shared by every format: splits, image lookup, safe names, image placement."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Literal

from synapse_sdk.utils.converters.errors import DatasetLayoutError, UnsafePathError

SPLITS = ('train', 'valid', 'test')
#: Folder names accepted for each split on input.
SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    'train': ('train',),
    'valid': ('valid', 'val', 'validation'),
    'test': ('test',),
}
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.gif', '.tif', '.tiff')
_IMAGE_EXT_SET = frozenset(IMAGE_EXTENSIONS)

ImageMode = Literal['copy', 'link', 'none']


def find_split_dirs(root: Path, *, is_categorized: bool | None) -> list[tuple[str, Path]]:
    """``[(split, folder)]``: the splits present under ``root``, or ``[('', root)]``.

    ``is_categorized=None`` detects: split folders when there are any, else the flat dataset.
    """
    if not root.is_dir():
        raise DatasetLayoutError('dataset folder does not exist', file=root)
    if is_categorized is False:
        return [('', root)]
    if is_categorized is None:
        present = [name for names in SPLIT_ALIASES.values() for name in names if (root / name).is_dir()]
        if not present:
            return [('', root)]
    found = []
    for split, names in SPLIT_ALIASES.items():
        for name in names:
            folder = root / name
            if folder.is_dir():
                found.append((split, folder))
                break
    if not found:
        raise DatasetLayoutError(
            'categorized dataset has no split folder (expected train/, valid/ or test/; '
            'pass is_categorized=False for a flat dataset)',
            file=root,
        )
    return found


def require_dir(folder: Path, what: str) -> Path:
    if not folder.is_dir():
        raise DatasetLayoutError(f'required folder {what!r} does not exist', file=folder)
    return folder


def list_images(folder: Path) -> dict[str, str]:
    """Image files in ``folder`` as ``{stem: file name}``; for equal stems the extension order wins."""
    found: dict[str, str] = {}
    rank: dict[str, int] = {}
    order = {ext: i for i, ext in enumerate(IMAGE_EXTENSIONS)}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        name = entry.name
        stem, dot, ext = name.rpartition('.')
        if not dot:
            continue
        ext = '.' + ext.lower()
        if ext not in _IMAGE_EXT_SET:
            continue
        position = order[ext]
        if stem not in found or position < rank[stem]:
            found[stem] = name
            rank[stem] = position
    return found


def safe_join(root: Path, name: str, *, file: str | Path | None = None) -> Path:
    """``root / name`` when it stays inside ``root``; :class:`UnsafePathError` otherwise."""
    if '/' not in name and '\\' not in name and name not in ('', '.', '..') and '\x00' not in name:
        return root / name  # a bare file name: the common case, checked cheaply
    if not name or '\x00' in name:
        raise UnsafePathError(f'invalid file name {name!r}', file=file)
    candidate = Path(name)
    if candidate.is_absolute() or '..' in candidate.parts or name.startswith(('/', '\\')) or '\\..' in name:
        raise UnsafePathError(f'file name {name!r} leaves the dataset folder', file=file)
    return root / candidate


def safe_name(name: str, *, file: str | Path | None = None) -> str:
    """A bare file name (no folders), refusing names that could leave the output folder."""
    base = name.replace('\\', '/').rsplit('/', 1)[-1]
    if base in ('', '.', '..') or '\x00' in base:
        raise UnsafePathError(f'invalid file name {name!r}', file=file)
    return base


def place_image(source: Path, target: Path, mode: ImageMode) -> None:
    """Put ``source`` at ``target``: a hard link when possible (mode ``link``), else a copy."""
    if mode == 'none':
        return
    if mode == 'link':
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)
