"""LabelMe JSON checked against LabelMe's own file reader and writer (``labelme``), both ways.

``labelme`` runs in a throw-away environment (``uv run --no-project --with``); only its label-file
module is used, no Qt window.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters._formats import READERS
from synapse_sdk.utils.converters._model import Box, Point, Polygon, Polyline, Tag
from synapse_sdk.utils.converters._report import Report

PEER = 'labelme==6.3.1'  # the newest release that runs on Python 3.10-3.11

READ = r"""
import json, sys
from labelme._label_file import LabelFile
out = {}
for path in sys.argv[1:]:
    f = LabelFile(path)
    out[path] = {
        "shapes": [[s["label"], s["shape_type"], [list(p) for p in s["points"]], s["group_id"], s["flags"],
                    s["other_data"]] for s in f.shapes],
        "flags": f.flags, "image_path": f.image_path,
    }
print(json.dumps(out))
"""

WRITE = r"""
import sys
from labelme._label_file import LabelFile
shapes = [
    dict(label="car", points=[[1, 2], [11, 7]], shape_type="rectangle", flags={"truncated": True}, group_id=None,
         description="", mask=None),
    dict(label="road", points=[[0, 40], [40, 40], [40, 60]], shape_type="polygon", flags={}, group_id=3,
         description="wet", mask=None),
    dict(label="lane", points=[[1, 2], [30, 35], [50, 20]], shape_type="linestrip", flags={}, group_id=None,
         description="", mask=None),
    dict(label="marker", points=[[12, 30]], shape_type="point", flags={}, group_id=None, description="", mask=None),
]
image = open(sys.argv[2], "rb").read()
LabelFile().save(sys.argv[1], shapes, "a.png", 72, 96, image_data=image, flags={"night": True, "rain": False})
"""


def _peer(script: str, *args: str) -> str:
    uv = shutil.which('uv')
    if uv is None:
        pytest.fail('uv is not on PATH: the peer tools run in throw-away uv environments')
    command = [uv, 'run', '--no-project', '--quiet', '--with', PEER, 'python', '-c', script, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_labelme_loads_our_files_with_every_shape(dm_split: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'labelme', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'lm')
    files = sorted(str(p) for p in (tmp_path / 'lm').rglob('*.json'))
    theirs = json.loads(_peer(READ, *files))
    reader = READERS.load('labelme')(tmp_path / 'lm', is_categorized=True, report=Report(strict=True))
    for item in reader.items():
        found = theirs[item.source]
        assert found['image_path'] == item.file_name
        expected = []
        for a in item.annotations:
            if isinstance(a, Box):
                expected.append([a.label, 'rectangle', [[a.x, a.y], [a.x + a.w, a.y + a.h]]])
            elif isinstance(a, Polygon):
                expected.append([a.label, 'polygon', [list(p) for p in a.points]])
            elif isinstance(a, Polyline):
                kind = 'line' if len(a.points) == 2 else 'linestrip'
                expected.append([a.label, kind, [list(p) for p in a.points]])
            elif isinstance(a, Point):
                expected.append([a.label, 'point', [[a.x, a.y]]])
        assert sorted(s[:3] for s in found['shapes']) == sorted(expected)
        assert found['flags'] == {a.label: True for a in item.annotations if isinstance(a, Tag)}
        for shape in found['shapes']:  # what LabelMe keeps beside the shape, we read back as attributes
            assert set(shape[5]) <= {'attributes'}


def test_we_read_the_files_labelme_writes(tmp_path: Path) -> None:
    from PIL import Image

    Image.new('RGB', (96, 72)).save(tmp_path / 'a.png')
    _peer(WRITE, str(tmp_path / 'a.json'), str(tmp_path / 'a.png'))
    (item,) = READERS.load('labelme')(tmp_path, is_categorized=False, report=Report(strict=True)).items()
    assert item.image == tmp_path / 'a.png' and (item.width, item.height) == (96, 72)
    box, road, lane, marker, night = item.annotations
    assert isinstance(box, Box) and (box.label, box.x, box.y, box.w, box.h) == ('car', 1, 2, 10, 5)
    assert box.attrs == {'truncated': True}
    assert isinstance(road, Polygon) and road.attrs == {'group_id': 3, 'description': 'wet'}
    assert isinstance(lane, Polyline) and lane.points == [(1, 2), (30, 35), (50, 20)]
    assert isinstance(marker, Point) and (marker.x, marker.y) == (12, 30)
    assert isinstance(night, Tag) and night.label == 'night'
