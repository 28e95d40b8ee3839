"""Class ids follow the source's category order, unused categories kept, whichever route the data takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters import get_converter


def _coco(root: Path, image_file: Any) -> Path:
    # category ids out of name order; 'bus' (id 3) is used nowhere; 'zebra' (id 1) appears last in the data
    categories = [{'id': 5, 'name': 'car'}, {'id': 1, 'name': 'zebra'}, {'id': 3, 'name': 'bus'}]
    annotations = [
        {'id': 1, 'image_id': 1, 'category_id': 5, 'bbox': [1, 1, 10, 10], 'area': 100, 'iscrowd': 0},
        {'id': 2, 'image_id': 2, 'category_id': 1, 'bbox': [2, 2, 10, 10], 'area': 100, 'iscrowd': 0},
    ]
    images: list[dict[str, Any]] = [{'id': i, 'file_name': f'i{i}.png', 'width': 40, 'height': 30} for i in (1, 2)]
    root.mkdir(parents=True)
    for image in images:
        image_file(root / image['file_name'], (40, 30))
    doc = {'images': images, 'annotations': annotations, 'categories': categories}
    (root / 'annotations.json').write_text(json.dumps(doc))
    return root


def test_coco_to_yolo_equals_coco_to_dm_to_yolo(tmp_path: Path, image_file: Any) -> None:
    source = _coco(tmp_path / 'coco', image_file)
    direct = get_converter('coco', 'yolo', root_dir=source).save_to_folder(tmp_path / 'direct')
    assert direct.classes == ['zebra', 'bus', 'car']  # COCO category id order (1, 3, 5), bus kept
    get_converter('coco', 'dm_v2', root_dir=source).save_to_folder(tmp_path / 'dm')
    via_dm = get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'via_dm')
    assert via_dm.classes == direct.classes
    for name in ('classes.txt', 'labels/i1.txt', 'labels/i2.txt'):
        assert (tmp_path / 'via_dm' / name).read_bytes() == (tmp_path / 'direct' / name).read_bytes(), name
    for target in ('coco', 'pascal'):
        a = get_converter('coco', target, root_dir=source).save_to_folder(tmp_path / f'{target}_direct')
        b = get_converter('dm_v2', target, root_dir=tmp_path / 'dm').save_to_folder(tmp_path / f'{target}_dm')
        assert a.classes == b.classes == ['zebra', 'bus', 'car'], target
    categories = json.loads((tmp_path / 'coco_dm' / 'annotations.json').read_text())['categories']
    assert [c['name'] for c in categories] == ['zebra', 'bus', 'car']
    labelmap = (tmp_path / 'pascal_dm' / 'labelmap.txt').read_text().splitlines()[1:]
    assert [line.split(':')[0] for line in labelmap] == ['zebra', 'bus', 'car']


def test_dm_classification_lists_and_voc_labelmap_set_the_order(tmp_path: Path, image_file: Any) -> None:
    dm = tmp_path / 'dm'
    (dm / 'json').mkdir(parents=True)
    box = {'id': 'b', 'classification': 'person', 'attrs': [], 'data': [1, 1, 5, 5]}
    doc = {'classification': {'bounding_box': ['truck', 'person', 'bike']}, 'images': [{'bounding_box': [box]}]}
    (dm / 'json' / 'x.json').write_text(json.dumps(doc))
    image_file(dm / 'original_files' / 'x.png', (20, 20))
    summary = get_converter('dm_v2', 'yolo', root_dir=dm).save_to_folder(tmp_path / 'yolo')
    assert summary.classes == ['truck', 'person', 'bike']
    assert (tmp_path / 'yolo' / 'labels' / 'x.txt').read_text().startswith('1 ')
    get_converter('dm_v2', 'pascal', root_dir=dm).save_to_folder(tmp_path / 'voc')
    back = get_converter('pascal', 'yolo', root_dir=tmp_path / 'voc').save_to_folder(tmp_path / 'voc_yolo')
    assert back.classes == ['truck', 'person', 'bike']  # from VOC's labelmap.txt
    yolo_dm = get_converter('yolo', 'dm_v2', root_dir=tmp_path / 'yolo').save_to_folder(tmp_path / 'yolo_dm')
    assert yolo_dm.classes[:3] == ['truck', 'person', 'bike']
