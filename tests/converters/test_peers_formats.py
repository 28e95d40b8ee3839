"""CVAT and ImageFolder checked against Datumaro, the tool that reads and writes both, both ways.

Datumaro runs in a throw-away environment (``uv run --no-project --with datumaro``), as in the
benchmark; it is never in the workspace lock.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters._formats import READERS
from synapse_sdk.utils.converters._model import Box, Keypoints, Mask, Point, Polygon, Polyline, Tag
from synapse_sdk.utils.converters._report import Report

DATUMARO = 'datumaro==1.13.12'

READ = r"""
import json, sys
import datumaro as dm
ds = dm.Dataset.import_from(sys.argv[1], sys.argv[2])
labels = ds.categories()[dm.AnnotationType.label]
out = {}
for item in ds:
    anns = []
    for a in item.annotations:
        kind = type(a).__name__
        entry = {"type": kind, "label": labels[a.label].name if a.label is not None else None}
        if kind == "Bbox":
            entry["box"] = [round(v, 3) for v in a.get_bbox()]
        elif kind in ("Polygon", "PolyLine", "Points"):
            entry["points"] = [round(v, 3) for v in a.points]
        elif kind == "Mask":
            entry["pixels"] = int(a.image.sum())
        anns.append(entry)
    out[item.id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]] = {"subset": item.subset, "annotations": anns}
print(json.dumps(out))
"""

WRITE = r"""
import sys
import numpy as np
import datumaro as dm
from datumaro.components.media import Image
fmt, out = sys.argv[1], sys.argv[2]
labels = ["car", "road", "lane", "marker", "outdoor"]
items = []
for i, subset in enumerate(["train", "train", "val"]):
    anns = [dm.Label(4, attributes={"weather": "sunny"})] if fmt == "imagenet" else [
        dm.Bbox(10 + i, 5, 20, 10, label=0, attributes={"color": "red", "occluded": True}),
        dm.Polygon([0, 40, 40, 40, 40, 60, 0, 60], label=1),
        dm.PolyLine([1, 2, 30, 35, 50, 20], label=2),
        dm.Points([12, 30 + i], label=3),
        dm.Label(4),
    ]
    items.append(dm.DatasetItem(id=f"img_{i}", subset=subset, annotations=anns,
                                media=Image.from_numpy(np.full((72, 96, 3), 100, dtype=np.uint8))))
spec = [(name, "", ["color", "weather"]) for name in labels]
categories = {dm.AnnotationType.label: dm.LabelCategories.from_iterable(spec)}
ds = dm.Dataset.from_iterable(items, categories=categories)
ds.export(out, fmt, save_media=True)
"""


def _peer(script: str, *args: str) -> str:
    uv = shutil.which('uv')
    if uv is None:
        pytest.fail('uv is not on PATH: the peer tools run in throw-away uv environments')
    command = [uv, 'run', '--no-project', '--quiet', '--with', DATUMARO, 'python', '-c', script, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _seen_by_datumaro(item_annotations: list[Any]) -> Counter[str]:
    """How Datumaro's CVAT importer shows our annotations (a skeleton is its points)."""
    seen: Counter[str] = Counter()
    for a in item_annotations:
        if isinstance(a, Box):
            seen['Bbox'] += 1
        elif isinstance(a, Polygon):
            seen['Polygon'] += 1
        elif isinstance(a, Polyline):
            seen['PolyLine'] += 1
        elif isinstance(a, Point):
            seen['Points'] += 1
        elif isinstance(a, Keypoints):
            seen['Points'] += len(a.points)
            seen['Bbox'] += a.box is not None
        elif isinstance(a, Tag):
            seen['Label'] += 1
        elif isinstance(a, Mask):
            seen['Mask'] += 1
    return seen


def test_datumaro_imports_our_cvat_with_every_shape(dm_split: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'cvat', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'cvat')
    theirs = json.loads(_peer(READ, str(tmp_path / 'cvat'), 'cvat'))
    reader = READERS.load('cvat')(tmp_path / 'cvat', is_categorized=True, report=Report(strict=True))
    ours = {item.name: item for item in reader.items()}
    assert sorted(theirs) == sorted(ours) == ['a1', 'b1', 'c1', 'd1']
    for name, item in ours.items():
        found = theirs[name]
        assert found['subset'] == item.split
        assert Counter(a['type'] for a in found['annotations']) == _seen_by_datumaro(item.annotations)
        boxes = [[a.label, a.x, a.y, a.w, a.h] for a in item.annotations if isinstance(a, Box)]
        boxes += [[a.label, *a.box] for a in item.annotations if isinstance(a, Keypoints) and a.box]
        assert sorted([a['label'], *a['box']] for a in found['annotations'] if a['type'] == 'Bbox') == sorted(boxes)
        points = sorted(p for a in found['annotations'] if a['type'] == 'Points' for p in a['points'])
        ours_points = [v for a in item.annotations if isinstance(a, Point) for v in (a.x, a.y)]
        ours_points += [v for a in item.annotations if isinstance(a, Keypoints) for p in a.points for v in (p.x, p.y)]
        assert points == sorted(ours_points)
        masks = [len(a.pixels) for a in item.annotations if isinstance(a, Mask)]
        assert [a['pixels'] for a in found['annotations'] if a['type'] == 'Mask'] == masks


def test_we_read_the_cvat_datumaro_writes(tmp_path: Path) -> None:
    _peer(WRITE, 'cvat', str(tmp_path / 'theirs'))
    summary = get_converter('cvat', 'dm_v2', root_dir=tmp_path / 'theirs', strict=True).save_to_folder(tmp_path / 'dm')
    assert summary.images == {'train': 2, 'valid': 1}
    reader = READERS.load('dm_v2')(tmp_path / 'dm', is_categorized=True, report=Report(strict=True))
    items = {item.name: item for item in reader.items()}
    assert sorted(items) == ['img_0', 'img_1', 'img_2']
    for index in range(3):
        anns = items[f'img_{index}'].annotations
        box = next(a for a in anns if isinstance(a, Box))
        assert (box.label, box.x, box.y, box.w, box.h) == ('car', 10 + index, 5, 20, 10)
        assert box.attrs == {'color': 'red', 'occluded': True}
        assert next(a for a in anns if isinstance(a, Polygon)).points == [(0, 40), (40, 40), (40, 60), (0, 60)]
        assert next(a for a in anns if isinstance(a, Polyline)).points == [(1, 2), (30, 35), (50, 20)]
        point = next(a for a in anns if isinstance(a, Point))
        assert (point.label, point.x, point.y) == ('marker', 12, 30 + index)
        assert [a.label for a in anns if isinstance(a, Tag)] == ['outdoor']


def test_image_folder_against_datumaro_imagenet_both_ways(dm_split: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'image_folder', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'ours')
    # Datumaro's imagenet has no splits (one level of class folders): each split is read as one dataset.
    assert not (tmp_path / 'ours' / 'valid').exists()  # its one image has no tag: skipped and reported
    for split, name in (('train', 'a1'), ('test', 'd1')):
        seen = json.loads(_peer(READ, str(tmp_path / 'ours' / split), 'imagenet'))
        assert {n: [a['label'] for a in v['annotations']] for n, v in seen.items()} == {name: ['outdoor']}
    _peer(WRITE, 'imagenet', str(tmp_path / 'theirs'))
    reader = READERS.load('image_folder')(tmp_path / 'theirs', is_categorized=False, report=Report(strict=True))
    items = list(reader.items())
    assert sorted((i.name, [getattr(a, 'label', None) for a in i.annotations]) for i in items) == [
        (f'img_{i}', ['outdoor']) for i in range(3)
    ]
