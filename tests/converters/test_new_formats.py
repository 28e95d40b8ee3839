"""What each new format does that the contract suite does not see: its own layouts, conventions, refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters._formats import READERS
from synapse_sdk.utils.converters._model import Box, Item, Keypoints, Mask, Other, Polyline
from synapse_sdk.utils.converters._report import Report
from synapse_sdk.utils.converters._rotation import box_corners, corners, from_corners
from synapse_sdk.utils.converters.errors import DatasetFormatError, UnsafePathError


def _items(fmt: str, root: Path, strict: bool = True, categorized: bool = False) -> list[Item]:
    return list(READERS.load(fmt)(root, is_categorized=categorized, report=Report(strict=strict)).items())


def test_obb_corners_follow_ultralytics_xywhr2xyxyxyxy() -> None:
    # ultralytics.utils.ops.xywhr2xyxyxyxy: pt1 = c + v1 + v2, pt2 = c + v1 - v2, pt3 = c - v1 - v2, pt4 = c - v1 + v2,
    # v1 = (w/2 cos r, w/2 sin r), v2 = (-h/2 sin r, h/2 cos r)
    got = corners(50, 40, 20, 10, math.pi / 2)
    want = [(45, 50), (55, 50), (55, 30), (45, 30)]
    flat_got, flat_want = [v for p in got for v in p], [v for p in want for v in p]
    assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(flat_got, flat_want, strict=True))
    cx, cy, w, h, r, rectangle = from_corners(got)
    assert rectangle and (round(cx, 9), round(cy, 9), round(w, 9), round(h, 9), round(r, 9)) == (
        50,
        40,
        20,
        10,
        round(math.pi / 2, 9),
    )


def test_yolo_obb_rows_and_a_dota_quad(tmp_path: Path, image_file: Any) -> None:
    image_file(tmp_path / 'images' / 'a.png', (100, 50))
    (tmp_path / 'labels').mkdir()
    # a 20x10 box at (50, 25) turned 90 degrees, then a quad that is not a rectangle
    (tmp_path / 'labels' / 'a.txt').write_text(
        '0 0.45 0.7 0.55 0.7 0.55 0.3 0.45 0.3\n1 0.1 0.1 0.3 0.1 0.35 0.5 0.1 0.5\n'
    )
    (tmp_path / 'dataset.yaml').write_text('names: [plane, ship]\n')
    report = Report()
    (item,) = READERS.load('yolo_obb')(tmp_path, is_categorized=False, report=report).items()
    plane, ship = item.annotations
    assert isinstance(plane, Box) and plane.label == 'plane'
    assert [round(v, 6) for v in (plane.x, plane.y, plane.w, plane.h)] == [40, 20, 20, 10]
    assert math.isclose(plane.attrs['rotation'], math.pi / 2, abs_tol=1e-6)
    assert isinstance(ship, Box) and [e.reason for e in report.entries] == [
        'corners are not a rectangle; kept as the nearest rotated box'
    ]
    out = tmp_path.with_name(tmp_path.name + '-out')  # never inside the source dataset
    get_converter('yolo_obb', 'yolo_obb', root_dir=tmp_path).save_to_folder(out)
    first = (out / 'labels' / 'a.txt').read_text().splitlines()[0].split()
    assert [round(float(v), 4) for v in first[1:]] == [0.45, 0.7, 0.55, 0.7, 0.55, 0.3, 0.45, 0.3]
    corners_of = box_corners(plane)
    assert math.isclose(corners_of[0][0], 45, abs_tol=1e-6)


def _cvat(tmp_path: Path, body: str, head: str = '') -> Path:
    (tmp_path / 'images').mkdir(exist_ok=True)
    (tmp_path / 'annotations.xml').write_text(f'<?xml version="1.0"?>{head}<annotations>{body}</annotations>')
    return tmp_path


def test_cvat_refuses_entities_and_names_the_line(tmp_path: Path) -> None:
    lol = '<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    _cvat(tmp_path, '<image id="0" name="x.png" width="9" height="9"><tag label="&b;"/></image>', lol)
    with pytest.raises(DatasetFormatError, match='DTD or entities'):
        _items('cvat', tmp_path, strict=False)
    _cvat(tmp_path, '<image id="0" name="x.png" width="9" height="9">\n<box label="a" xtl="1" ytl="x"/></image>')
    with pytest.raises(DatasetFormatError) as error:  # strict: the reader's own error, naming file and line
        _items('cvat', tmp_path)
    assert error.value.line == 2 and "'ytl'" in str(error.value)
    report = Report()
    (item,) = READERS.load('cvat')(tmp_path, is_categorized=False, report=report).items()
    assert item.annotations == [] and [(e.action, e.line) for e in report.entries] == [('skipped', 2)]


def test_cvat_reads_shapes_cvat_writes(tmp_path: Path, image_file: Any) -> None:
    image_file(tmp_path / 'images' / 'x.png', (40, 30))
    body = (
        '<image id="0" name="x.png" width="40" height="30" subset="Validation">'
        '<box label="car" source="auto" occluded="1" xtl="1" ytl="2" xbr="11" ybr="7" z_order="3" rotation="90.0">'
        '<attribute name="color">red</attribute><attribute name="n">3</attribute></box>'
        '<skeleton label="hand" group_id="7"><points label="tip" outside="1" points="3,4"/>'
        '<points label="root" occluded="1" points="5,6"/></skeleton>'
        '<box label="hand" group_id="7" xtl="2" ytl="3" xbr="8" ybr="9"/>'
        '<mask label="blob" rle="1, 2, 3" left="2" top="1" width="3" height="2"/>'
        '<ellipse label="e" cx="1" cy="1" rx="1" ry="1"/></image>'
    )
    _cvat(tmp_path, body)
    report = Report()
    (item,) = READERS.load('cvat')(tmp_path, is_categorized=False, report=report).items()
    assert item.split == 'valid' and item.image == tmp_path / 'images' / 'x.png'
    box, hand, mask = item.annotations
    assert isinstance(box, Box) and (box.x, box.y, box.w, box.h) == (1, 2, 10, 5)
    assert box.attrs == {
        'occluded': True,
        'z_order': 3,
        'source': 'auto',
        'color': 'red',
        'n': 3,
        'rotation': round(math.pi / 2, 9),
    }
    assert isinstance(hand, Keypoints) and hand.box == (2, 3, 6, 6)
    assert [(p.name, p.v) for p in hand.points] == [('tip', 0), ('root', 1)]
    assert isinstance(mask, Mask) and mask.pixels == [
        1 * 40 + 3,
        1 * 40 + 4,
    ]  # runs 1 off, 2 on, 3 off in the 3x2 box at (2, 1)
    assert [e.reason for e in report.entries] == ['<ellipse> shapes are not converted']


def test_cvat_reads_datumaro_style_subset_files(tmp_path: Path, image_file: Any) -> None:
    for subset in ('train', 'val'):
        image_file(tmp_path / 'images' / subset / f'{subset}.png', (10, 10))
        (tmp_path / f'{subset}.xml').write_text(
            f'<annotations><image id="0" name="{subset}.png" width="10" height="10"/></annotations>'
        )
    assert sorted((i.split, i.name) for i in _items('cvat', tmp_path)) == [('train', 'train'), ('valid', 'val')]


def _labelme(folder: Path, stem: str, shapes: list[dict[str, Any]], **extra: Any) -> None:
    doc = {'shapes': shapes, 'imagePath': f'{stem}.png', 'imageWidth': 20, 'imageHeight': 10, **extra}
    (folder / f'{stem}.json').write_text(json.dumps(doc))


def test_labelme_shapes_flags_and_circle(tmp_path: Path, image_file: Any) -> None:
    image_file(tmp_path / 'a.png', (20, 10))
    shapes: list[dict[str, Any]] = [
        {'label': 'r', 'points': [[5, 6], [1, 2]], 'shape_type': 'rectangle', 'flags': {'truncated': True}},
        {'label': 'c', 'points': [[5, 5], [8, 9]], 'shape_type': 'circle', 'group_id': 2},
        {'label': 'l', 'points': [[0, 0], [3, 3]], 'shape_type': 'line', 'description': 'edge'},
    ]
    _labelme(tmp_path, 'a', shapes, flags={'night': True, 'rain': False})
    (item,) = _items('labelme', tmp_path)
    box, circle, line, tag = item.annotations
    assert isinstance(box, Box) and (box.x, box.y, box.w, box.h, box.attrs) == (1, 2, 4, 4, {'truncated': True})
    assert isinstance(circle, Other) and circle.raw['data'] == [5, 5, 5.0]
    assert isinstance(line, Polyline) and line.attrs == {'description': 'edge'}
    assert getattr(tag, 'label', None) == 'night'
    dm, again = tmp_path.with_name(tmp_path.name + '-dm'), tmp_path.with_name(tmp_path.name + '-back')
    get_converter('labelme', 'dm_v2', root_dir=tmp_path).save_to_folder(dm)
    get_converter('dm_v2', 'labelme', root_dir=dm).save_to_folder(again)
    back = json.loads((again / 'a.json').read_text())
    shapes_back = {s['shape_type']: s for s in back['shapes']}  # DM keeps shapes per tool: the order changes
    assert sorted(shapes_back) == ['circle', 'line', 'rectangle']
    assert shapes_back['circle']['points'] == [[5, 5], [10, 5]] and shapes_back['circle']['group_id'] == 2
    assert back['flags'] == {'night': True}


def test_labelme_image_path_may_not_leave_the_dataset(tmp_path: Path) -> None:
    root = tmp_path / 'data'
    root.mkdir()
    _labelme(root, 'a', [], imagePath='../../etc/passwd')
    with pytest.raises(UnsafePathError):
        _items('labelme', root)


def test_label_studio_rotation_turns_about_the_top_left_corner(tmp_path: Path, image_file: Any) -> None:
    image_file(tmp_path / 'images' / 'a.png', (200, 100))
    value = {'x': 50, 'y': 50, 'width': 10, 'height': 20, 'rotation': 90, 'rectanglelabels': ['car']}
    result = {'id': 'r1', 'type': 'rectanglelabels', 'original_width': 200, 'original_height': 100, 'value': value}
    attribute = {'id': 'r1', 'type': 'textarea', 'from_name': 'note', 'value': {'text': ['dented']}}
    task = {'data': {'image': '/data/upload/1/a.png'}, 'annotations': [{'result': [result, attribute]}]}
    (tmp_path / 'export.json').write_text(json.dumps([task]))
    (item,) = _items('label_studio', tmp_path)
    (box,) = item.annotations
    assert isinstance(box, Box) and item.image == tmp_path / 'images' / 'a.png'
    # top-left (100, 50), 20x20 px turned 90 degrees about it: the centre is at (90, 60)
    assert [round(v, 6) for v in (box.x + box.w / 2, box.y + box.h / 2, box.w, box.h)] == [90, 60, 20, 20]
    assert box.attrs == {'rotation': round(math.pi / 2, 9), 'note': 'dented'}
    back = tmp_path.with_name(tmp_path.name + '-back')
    get_converter('label_studio', 'label_studio', root_dir=tmp_path).save_to_folder(back)
    (again,) = json.loads((back / 'result.json').read_text())
    assert [round(v, 6) for v in again['annotations'][0]['result'][0]['value'].values() if isinstance(v, float)] == [
        50,
        50,
        10,
        20,
        90,
    ]


def test_image_folder_classes_in_sorted_order_and_clashing_names(tmp_path: Path, image_file: Any) -> None:
    for label in ('dog', 'cat'):
        image_file(tmp_path / label / '0001.jpg', (8, 8))
    report = Report()
    reader = READERS.load('image_folder')(tmp_path, is_categorized=False, report=report)
    assert reader.class_names() == ['cat', 'dog']
    assert sorted(i.name for i in reader.items()) == ['0001', '0001_dog']
    assert [e.action for e in report.entries] == ['changed']
