"""Read a DM dataset folder into data units (one per file stem).

Layout: ``json/<stem>.json`` (the annotation) + ``original_files/<stem>.<ext>`` (the primary file),
optionally other folders of per-stem files (each becomes a file specification named after its
folder), or the same under ``train/``, ``valid/`` (or ``validation/``) and ``test/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synapse_sdk.core._parsing import load_json
from synapse_sdk.core.errors import ConfigError

PRIMARY_FOLDER = 'original_files'
ANNOTATION_FOLDER = 'json'
SPLITS = {'train': 'train', 'valid': 'valid', 'validation': 'valid', 'test': 'test'}


def split_folders(root: Path) -> list[tuple[str | None, Path]]:
    """``[(split, folder)]``: one ``(None, root)`` for a flat dataset."""
    found: list[tuple[str | None, Path]] = [
        (SPLITS[child.name], child) for child in sorted(root.iterdir()) if child.is_dir() and child.name in SPLITS
    ]
    if (root / PRIMARY_FOLDER).is_dir() or (root / ANNOTATION_FOLDER).is_dir():
        if found:
            raise ConfigError(f'{root} mixes a flat DM layout (json/, original_files/) with split folders')
        return [(None, root)]
    if not found:
        raise ConfigError(
            f'{root} is not a DM dataset: expected json/ and original_files/ folders, '
            'or train/ and valid/ folders holding them',
            details={'path': str(root)},
        )
    return found


def is_categorized(root: Path) -> bool:
    return split_folders(root)[0][0] is not None


def _read_annotation(path: Path) -> Any:
    """One DM JSON file, parsed within the bounds (a ParseError names the file and line)."""
    return load_json(path)


def scan_dataset(root: Path) -> Iterator[dict[str, Any]]:
    """Yield ``{name, split, files, data}`` for every stem, sorted by split then stem."""
    for split, folder in split_folders(root):
        specs = [child for child in sorted(folder.iterdir()) if child.is_dir()]
        by_stem: dict[str, dict[str, Any]] = {}
        for spec in specs:
            for file in sorted(spec.iterdir()):
                if not file.is_file() or file.name.startswith('.'):
                    continue
                unit = by_stem.setdefault(file.stem, {'files': {}, 'data': None})
                if spec.name == ANNOTATION_FOLDER and file.suffix == '.json':
                    unit['data'] = _read_annotation(file)
                unit['files'][spec.name] = {
                    'url': file.resolve().as_uri(),
                    'name': file.name,
                    'is_primary': spec.name == PRIMARY_FOLDER,
                }
        for stem in sorted(by_stem):
            yield {'name': stem, 'split': split, **by_stem[stem]}
