"""Label Studio JSON checked against Label Studio's own converter package, both ways.

``label-studio-converter`` runs in a throw-away environment (``uv run --no-project --with``).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters._formats import READERS
from synapse_sdk.utils.converters._model import Box, Polygon
from synapse_sdk.utils.converters._report import Report

PEER = 'label-studio-converter==0.0.59'

TO_COCO = r'''
import json, os, sys, tempfile
from label_studio_converter import Converter
config = """<View><Image name="image" value="$image"/>
<RectangleLabels name="label" toName="image">%s</RectangleLabels>
<PolygonLabels name="label" toName="image">%s</PolygonLabels></View>"""
labels = "".join(f'<Label value="{n}"/>' for n in sys.argv[2].split(","))
c = Converter(config=config % (labels, labels), project_dir=os.path.dirname(sys.argv[1]), download_resources=False)
out = tempfile.mkdtemp()
c.convert_to_coco(input_data=sys.argv[1], output_dir=out, is_dir=False)
print(open(os.path.join(out, "result.json")).read())
'''

FROM_COCO = r"""
import sys
from label_studio_converter.imports.coco import convert_coco_to_ls
convert_coco_to_ls(sys.argv[1], sys.argv[2], image_root_url="/data/local-files/?d=")
"""


def _peer(script: str, *args: str) -> str:
    uv = shutil.which('uv')
    if uv is None:
        pytest.fail('uv is not on PATH: the peer tools run in throw-away uv environments')
    command = [uv, 'run', '--no-project', '--quiet', '--with', PEER, 'python', '-c', script, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(math.isclose(x, y, abs_tol=1e-6) for x, y in zip(a, b, strict=True))


def test_label_studio_converter_reads_our_boxes_and_polygons(dm_split: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'label_studio', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'ls')
    reader = READERS.load('label_studio')(tmp_path / 'ls', is_categorized=False, report=Report(strict=True))
    items = list(reader.items())
    labels = sorted({a.label for i in items for a in i.annotations if isinstance(a, (Box, Polygon))})
    coco = json.loads(_peer(TO_COCO, str(tmp_path / 'ls' / 'result.json'), ','.join(labels)))
    names = {c['id']: c['name'] for c in coco['categories']}
    for index, item in enumerate(items):
        image = coco['images'][index]
        assert image['file_name'].endswith(f'/{item.split}/{item.name}{item.image.suffix if item.image else ""}')
        assert (image['width'], image['height']) == (item.width, item.height)
        theirs = [a for a in coco['annotations'] if a['image_id'] == image['id']]
        boxes = sorted((a.label, [a.x, a.y, a.w, a.h]) for a in item.annotations if isinstance(a, Box))
        their_boxes = sorted((names[a['category_id']], a['bbox']) for a in theirs if not a['segmentation'])
        assert [b[0] for b in their_boxes] == [b[0] for b in boxes]
        assert all(_close(x[1], y[1]) for x, y in zip(their_boxes, boxes, strict=True))
        polygons = sorted(
            (a.label, [v for p in a.points for v in p]) for a in item.annotations if isinstance(a, Polygon)
        )
        their_polygons = sorted((names[a['category_id']], a['segmentation'][0]) for a in theirs if a['segmentation'])
        assert [p[0] for p in their_polygons] == [p[0] for p in polygons]
        assert all(_close(x[1], y[1]) for x, y in zip(their_polygons, polygons, strict=True))


def test_we_read_what_label_studio_converter_imports_from_coco(dm_flat: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'coco', root_dir=dm_flat).save_to_folder(tmp_path / 'coco')
    coco = json.loads((tmp_path / 'coco' / 'annotations.json').read_text())
    # label-studio-converter cannot import RLE masks (it indexes segmentation[0]): leave them out.
    coco['annotations'] = [a for a in coco['annotations'] if not isinstance(a.get('segmentation'), dict)]
    (tmp_path / 'coco' / 'annotations.json').write_text(json.dumps(coco))
    (tmp_path / 'ls').mkdir()
    _peer(FROM_COCO, str(tmp_path / 'coco' / 'annotations.json'), str(tmp_path / 'ls' / 'result.json'))
    for image in coco['images']:  # flat COCO keeps the images beside annotations.json
        shutil.copy(tmp_path / 'coco' / image['file_name'], tmp_path / 'ls' / image['file_name'])
    summary = get_converter('label_studio', 'dm_v2', root_dir=tmp_path / 'ls').save_to_folder(tmp_path / 'dm')
    assert summary.total_images == len(coco['images'])
    reader = READERS.load('dm_v2')(tmp_path / 'dm', is_categorized=False, report=Report(strict=True))
    names = {c['id']: c['name'] for c in coco['categories']}
    by_stem = {Path(i['file_name']).stem: i['id'] for i in coco['images']}
    for item in reader.items():
        source = [a for a in coco['annotations'] if a['image_id'] == by_stem[item.name] and 'bbox' in a]
        boxes = sorted((a.label, [a.x, a.y, a.w, a.h]) for a in item.annotations if isinstance(a, Box))
        # the peer makes a rectangle of every COCO bbox, and a polygon besides when there is a segmentation
        expected = sorted((names[a['category_id']], a['bbox']) for a in source)
        assert [b[0] for b in boxes] == [b[0] for b in expected] and boxes
        assert all(_close(x[1], y[1]) for x, y in zip(boxes, expected, strict=True))
        polygons = [a for a in item.annotations if isinstance(a, Polygon)]
        assert len(polygons) == sum(1 for a in source if a.get('segmentation'))
