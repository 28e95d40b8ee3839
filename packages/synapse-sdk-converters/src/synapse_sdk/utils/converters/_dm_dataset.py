"""DM v1 <-> v2 for whole datasets, file by file, without the lossy trip through other formats.

v1 -> v2 writes each file's v1 metadata (lock/visibility flags, labels, point ids, groups, ...) to
``annotation_meta/<stem>.json`` beside ``json/``; v2 -> v1 reads it back when present, so
v1 -> v2 -> v1 gives the original files exactly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters._detect import dm_folders
from synapse_sdk.utils.converters._dm_io import read_dm_file
from synapse_sdk.utils.converters._dm_schema import convert_v1_to_v2, convert_v2_to_v1, is_v1
from synapse_sdk.utils.converters._jsonio import DecodeError, dumps, loads
from synapse_sdk.utils.converters._layout import ImageMode, list_images, place_image
from synapse_sdk.utils.converters._report import ConversionSummary, Report
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError

META_DIR = 'annotation_meta'


def convert_dm_dataset(
    root: Path,
    out: Path,
    *,
    source: str,
    target: str,
    is_categorized: bool | None,
    report: Report,
    summary: ConversionSummary,
    images: ImageMode,
    progress: Callable[[int, int | None], None] | None = None,
    keep_meta: bool = True,
    images_dir: str | os.PathLike[str] | None = None,
) -> None:
    folders = dm_folders(root, is_categorized=is_categorized, images_dir=images_dir)
    total = sum(sum(1 for n in os.listdir(j) if n.endswith('.json')) for _, j, _, _ in folders) if progress else None
    done = 0
    for split, json_dir, files_dir, folder in folders:
        base = out / split if split else out
        (base / 'json').mkdir(parents=True, exist_ok=True)
        (base / 'original_files').mkdir(parents=True, exist_ok=True)
        found = list_images(files_dir)
        for file_name in sorted(n for n in os.listdir(json_dir) if n.endswith('.json')):
            stem = file_name[:-5]
            path = json_dir / file_name
            try:
                _convert_file(path, base, folder, stem, source, target, keep_meta)
            except ConverterError as error:
                if 'use dm_v' in error.reason or report.strict:
                    raise
                report.skipped(error.reason, item=stem, file=error.file, line=error.line)
                continue
            image = found.get(stem)
            if image is None:
                report.skipped('image file is missing', item=stem, file=str(files_dir / f'{stem}.*'))
            else:
                place_image(files_dir / image, base / 'original_files' / image, images)
            summary.images[split or 'all'] = summary.images.get(split or 'all', 0) + 1
            done += 1
            if progress:
                progress(done, total)


def _convert_file(path: Path, base: Path, folder: Path, stem: str, source: str, target: str, keep_meta: bool) -> None:
    if source == 'v1':
        raw = _load(path)
        if not is_v1(raw):
            read_dm_file(path, 'v1')  # raises the helpful "looks like DM v2" error
        result = convert_v1_to_v2(raw, file=str(path))
        if target == 'v2':
            (base / 'json' / f'{stem}.json').write_bytes(dumps(result['annotation_data'], indent=True))
            if keep_meta:
                (base / META_DIR).mkdir(exist_ok=True)
                (base / META_DIR / f'{stem}.json').write_bytes(dumps(result['annotation_meta'], indent=True))
        else:
            (base / 'json' / f'{stem}.json').write_bytes(dumps(raw, indent=True))
        return
    doc = read_dm_file(path, 'v2')
    if target == 'v2':
        (base / 'json' / f'{stem}.json').write_bytes(dumps(doc, indent=True))
        return
    meta_path = folder / META_DIR / f'{stem}.json'
    meta = _load(meta_path) if meta_path.is_file() else None
    (base / 'json' / f'{stem}.json').write_bytes(dumps(convert_v2_to_v1(doc, meta, file=str(path)), indent=True))


def _load(path: Path) -> Any:
    try:
        return loads(path.read_bytes())
    except DecodeError as error:
        raise DatasetFormatError(f'invalid JSON: {error}', file=path, line=getattr(error, 'lineno', None)) from None
