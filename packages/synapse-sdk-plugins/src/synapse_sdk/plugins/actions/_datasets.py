"""Dataset plumbing shared by the category actions: DM folders, converters and storage.

Only backend-protocol calls are used, so the same code works on the embedded backend, against the
platform, in-process or on a Ray worker. Converters and storage providers live in other
distributions and are imported only when asked for.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synapse_sdk.clients._local.store import resolve_storage as resolve_storage
from synapse_sdk.core._lazy import import_optional
from synapse_sdk.core.errors import MissingDependencyError

DM_FORMATS = ('dm', 'dm_v1', 'dm_v2')
Progress = Callable[[int, int], None]


@dataclass
class DatasetInfo:
    """A dataset ready on local disk: what ``BaseTrainAction.get_dataset()`` returns."""

    id: int | str | None
    name: str
    path: Path
    format: str
    is_categorized: bool
    count: int
    source_path: Path | None = None
    record: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        # Lets code written for the v1 dict results keep working: dataset['path'].
        return getattr(self, key)

    def __fspath__(self) -> str:
        return str(self.path)


def normalise_format(name: str) -> str:
    value = str(getattr(name, 'value', name)).lower()
    return 'dm_v2' if value == 'dm' else value


def converters_module() -> Any:
    return import_optional('synapse_sdk.utils.converters')


def convert_dataset(
    source: Path, source_format: str, target_format: str, output: Path, *, is_categorized: bool
) -> Path:
    """Convert the dataset folder ``source`` into ``output`` (written by the converter)."""
    get_converter = getattr(converters_module(), 'get_converter', None)
    if get_converter is None:
        raise MissingDependencyError('this synapse-sdk-converters has no get_converter(); upgrade it')
    converter = get_converter(
        normalise_format(source_format), normalise_format(target_format), root_dir=source, is_categorized=is_categorized
    )
    converter.convert()
    converter.save_to_folder(output)
    return output


def upload_folder(
    storage: Any, folder: Path, prefix: str, *, progress: Progress | None = None
) -> list[tuple[str, str]]:
    """Upload every file under ``folder`` to ``prefix/<relative path>``; returns ``[(key, url)]``."""
    files = sorted(p for p in folder.rglob('*') if p.is_file())
    done: list[tuple[str, str]] = []
    for index, path in enumerate(files, 1):
        relative = path.relative_to(folder).as_posix()
        key = f'{prefix.strip("/")}/{relative}' if prefix.strip('/') else relative
        done.append((key, str(storage.upload(path, key))))
        if progress:
            progress(index, len(files))
    return done


def copy_folder(folder: Path, destination: Path) -> Path:
    """Copy a finished folder to ``destination`` (replacing what was there)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(folder, destination)
    return destination


def primary_file(files: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """``(spec, file)`` of the primary file of a data unit, else its first file."""
    items = list(files.items())
    for spec, info in items:
        if isinstance(info, Mapping) and info.get('is_primary'):
            return spec, info
    return items[0] if items else None


def write_dm_item(
    root: Path,
    name: str,
    data: Any,
    files: Mapping[str, Any],
    download: Callable[[str, Path], Path],
    *,
    split: str | None = None,
    with_original: bool = True,
) -> None:
    """Write one DM item: ``json/<name>.json`` and ``original_files/<name><ext>``."""
    folder = root / split if split else root
    (folder / 'json').mkdir(parents=True, exist_ok=True)
    (folder / 'original_files').mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem if Path(name).suffix.lower() in ('.jpg', '.jpeg', '.png', '.bmp', '.webp') else name
    (folder / 'json' / f'{stem}.json').write_text(json.dumps(data, ensure_ascii=False), encoding='utf-8')
    found = primary_file(files)
    if with_original and found:
        info = found[1]
        suffix = Path(str(info.get('name') or str(info.get('url', '')).split('?')[0])).suffix
        download(str(info['url']), folder / 'original_files' / f'{stem}{suffix}')


def materialise_units(
    units: Iterable[Mapping[str, Any]],
    root: Path,
    download: Callable[[str, Path], Path],
    *,
    with_original: bool = True,
    progress: Progress | None = None,
    total: int = 0,
) -> tuple[int, int, bool]:
    """Write data units as a DM folder; returns ``(written, skipped, categorized)``."""
    written = skipped = 0
    categorized = False
    for index, unit in enumerate(units, 1):
        if unit.get('data') is None:
            skipped += 1
        else:
            split = unit.get('split')
            categorized = categorized or bool(split)
            write_dm_item(
                root,
                str(unit['name']),
                unit['data'],
                unit.get('files') or {},
                download,
                split=split,
                with_original=with_original,
            )
            written += 1
        if progress:
            progress(index, max(total, index))
    return written, skipped, categorized


def dm_file_count(root: Path) -> int:
    return sum(1 for _ in root.rglob('json/*.json'))
