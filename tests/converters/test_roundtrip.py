"""DM -> X -> DM keeps every annotation the target format can hold, within its precision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import convert_v1_to_v2, convert_v2_to_v1, get_converter

# What each format holds: YOLO boxes, polygons, keypoint objects (no attributes, no tags);
# COCO all of those plus masks, tags and attributes; VOC boxes with attributes, integer pixels
# (and the box of a keypoint object).
HOLDS = {
    # one task per YOLO dataset: segment (the default for data with polygons) holds boxes and keypoint
    # objects as the polygons of their corners; detect holds every shape as its box
    'yolo': ({'polygon'}, False, 1e-3 * 2),
    'yolo-detect': ({'bbox'}, False, 1e-3 * 2),
    'coco': ({'bbox', 'polygon', 'keypoints', 'mask', 'tag'}, True, 1e-3),
    'pascal': ({'bbox'}, True, 0.5),
}


def _corners(x: float, y: float, w: float, h: float) -> tuple[tuple[float, float], ...]:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def expected(
    shapes: dict[str, list[Any]], kinds: set[str], attrs: bool, polygons_as_boxes: bool = False
) -> dict[str, list[Any]]:
    out = {}
    for key, items in shapes.items():
        kept = []
        for shape in items:
            if shape[0] == 'keypoints' and 'keypoints' not in kinds and shape[2] is not None:
                shape = ('bbox', shape[1], *shape[2], ())  # VOC keeps a keypoint object's box
            if shape[0] == 'bbox' and 'bbox' not in kinds and 'polygon' in kinds:
                shape = ('polygon', shape[1], _corners(*shape[2:6]), shape[6])
            if shape[0] == 'polygon' and polygons_as_boxes:
                xs, ys = [p[0] for p in shape[2]], [p[1] for p in shape[2]]
                shape = ('bbox', shape[1], min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), shape[3])
            if shape[0] not in kinds:
                continue
            if not attrs and shape[0] in ('bbox', 'polygon', 'tag'):
                shape = (*shape[:-1], ())
            kept.append(shape)
        out[key] = sorted(kept, key=repr)
    return out


@pytest.mark.parametrize('target', ['yolo', 'yolo-detect', 'coco', 'pascal'])
@pytest.mark.parametrize('categorized', [False, True])
def test_dm_to_x_to_dm(
    target: str, categorized: bool, dm_flat: Path, dm_split: Path, tmp_path: Path, shapes: Any, approx_equal: Any
) -> None:
    root = dm_split if categorized else dm_flat
    fmt, _, task = target.partition('-')
    options = {'task': task} if task else {}
    get_converter('dm_v2', fmt, root_dir=root, is_categorized=categorized, **options).save_to_folder(tmp_path / fmt)
    get_converter(fmt, 'dm_v2', root_dir=tmp_path / fmt, is_categorized=categorized).save_to_folder(tmp_path / 'back')
    kinds, attrs, tol = HOLDS[target]
    want = expected(shapes(root), kinds, attrs, polygons_as_boxes=task == 'detect')
    got = expected(shapes(tmp_path / 'back'), kinds, True)
    assert want.keys() == got.keys()
    for key in want:
        assert approx_equal(sorted(want[key], key=lambda s: s[:2]), sorted(got[key], key=lambda s: s[:2]), tol), key


def test_dm_v2_to_v1_to_v2(dm_flat: Path, tmp_path: Path, shapes: Any) -> None:
    get_converter('dm_v2', 'dm_v1', root_dir=dm_flat).save_to_folder(tmp_path / 'v1')
    v1 = json.loads((tmp_path / 'v1' / 'json' / 'a1.json').read_text())
    assert set(v1) >= {'annotations', 'annotationsData', 'extra', 'relations', 'annotationGroups', 'assignmentId'}
    box = next(a for a in v1['annotations']['image_1'] if a['id'] == 'Abx1')
    assert box['classification'] == {'class': 'car', 'color': 'red', 'occluded': True}
    get_converter('dm_v1', 'dm_v2', root_dir=tmp_path / 'v1').save_to_folder(tmp_path / 'v2')
    assert shapes(tmp_path / 'v2') == shapes(dm_flat)


def test_dm_v1_to_v2_to_v1_is_exact(dm_v1_flat: Path, tmp_path: Path) -> None:
    get_converter('dm_v1', 'dm_v2', root_dir=dm_v1_flat).save_to_folder(tmp_path / 'v2')
    v2 = json.loads((tmp_path / 'v2' / 'json' / 'a1.json').read_text())
    assert v2['images'][0]['bounding_box'][0]['data'] == [10, 20, 30, 15]
    assert {'name': 'rotation', 'value': 0.3} in v2['images'][0]['bounding_box'][0]['attrs']
    get_converter('dm_v2', 'dm_v1', root_dir=tmp_path / 'v2').save_to_folder(tmp_path / 'v1')
    for stem in ('a1', 'b1'):
        assert (tmp_path / 'v1' / 'json' / f'{stem}.json').read_bytes() != b''
        original = json.loads((dm_v1_flat / 'json' / f'{stem}.json').read_text())
        assert json.loads((tmp_path / 'v1' / 'json' / f'{stem}.json').read_text()) == original


def test_document_functions_round_trip_and_carry_edits(v1_doc: dict[str, Any]) -> None:
    result = convert_v1_to_v2(v1_doc)
    assert convert_v2_to_v1(result) == v1_doc
    edited = json.loads(json.dumps(result['annotation_data']))
    edited['images'][0]['bounding_box'][0]['data'] = [11, 21, 31, 16]
    back = convert_v2_to_v1(edited, result['annotation_meta'])
    assert back['annotationsData']['image_1'][0]['coordinate'] == {
        'x': 11,
        'y': 21,
        'width': 31,
        'height': 16,
        'rotation': 0.3,
    }
    assert back['annotations']['image_1'][0]['isLocked'] is True  # metadata kept
    plain = convert_v2_to_v1(result['annotation_data'])
    assert plain['annotations']['image_1'][0]['isLocked'] is False  # defaults without metadata


def test_dm_v1_geometry_is_read_from_annotations_data(dm_v1_flat: Path, tmp_path: Path) -> None:
    get_converter('dm_v1', 'yolo', root_dir=dm_v1_flat).save_to_folder(tmp_path / 'yolo')
    rows = (tmp_path / 'yolo' / 'labels' / 'a1.txt').read_text().splitlines()
    # image a1 is 64x48; the v1 box is x=10 y=20 w=30 h=15, written as its corners beside the polygon
    assert rows[0] == '0 0.156250 0.416667 0.625000 0.416667 0.625000 0.729167 0.156250 0.729167'
    assert len(rows[1].split()) == 7  # the polygon
    get_converter('dm_v1', 'yolo', root_dir=dm_v1_flat, task='detect').save_to_folder(tmp_path / 'detect')
    rows = (tmp_path / 'detect' / 'labels' / 'a1.txt').read_text().splitlines()
    assert rows[0] == '0 0.390625 0.572917 0.468750 0.312500'


def test_yolo_to_dm_to_yolo_keeps_rows(dm_split: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'yolo', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'y1')
    get_converter('yolo', 'dm_v2', root_dir=tmp_path / 'y1', is_categorized=True).save_to_folder(tmp_path / 'dm')
    get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'dm', is_categorized=True).save_to_folder(tmp_path / 'y2')
    for label in sorted((tmp_path / 'y1').glob('*/labels/*.txt')):
        twin = tmp_path / 'y2' / label.relative_to(tmp_path / 'y1')
        assert twin.read_text() == label.read_text()
    assert (tmp_path / 'y1' / 'classes.txt').read_text() == (tmp_path / 'y2' / 'classes.txt').read_text()
