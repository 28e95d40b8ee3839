"""What we write is read by independent readers (pycocotools, globox), and format details are right."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from pycocotools.coco import COCO  # type: ignore[import-untyped]

from synapse_sdk.utils.converters import get_converter


def test_pycocotools_loads_our_coco_with_the_same_counts(dm_split: Path, tmp_path: Path) -> None:
    summary = get_converter('dm_v2', 'coco', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'coco')
    image_ids: set[int] = set()
    ann_ids: set[int] = set()
    categories = []
    for split in ('train', 'valid', 'test'):
        coco = COCO(str(tmp_path / 'coco' / split / 'annotations.json'))
        written = summary.annotations[split]
        assert len(coco.getImgIds()) == summary.images[split]
        assert len(coco.getAnnIds()) == sum(n for kind, n in written.items() if kind != 'tag')
        assert min(coco.getImgIds()) >= 1 and min(coco.getAnnIds()) >= 1
        assert image_ids.isdisjoint(coco.getImgIds()) and ann_ids.isdisjoint(coco.getAnnIds())
        image_ids.update(coco.getImgIds())
        ann_ids.update(coco.getAnnIds())
        categories.append(coco.loadCats(coco.getCatIds()))
        for ann in coco.loadAnns(coco.getAnnIds()):
            if not ann['segmentation']:  # boxes and keypoints carry [] as CVAT and detectron2 expect
                continue
            mask = coco.annToMask(ann)  # polygons and RLE decode in pycocotools
            assert mask.shape == (coco.imgs[ann['image_id']]['height'], coco.imgs[ann['image_id']]['width'])
    assert categories[0] == categories[1] == categories[2]  # one class map: same ids in every split
    person = next(c for c in categories[0] if c['name'] == 'person')
    assert person['keypoints'] == ['head', 'left_hand', 'right_hand']


def test_coco_mask_matches_dm_pixels(dm_flat: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'coco', root_dir=dm_flat).save_to_folder(tmp_path / 'coco')
    coco = COCO(str(tmp_path / 'coco' / 'annotations.json'))
    sky = next(a for a in coco.loadAnns(coco.getAnnIds()) if coco.cats[a['category_id']]['name'] == 'sky')
    mask = coco.annToMask(sky)
    ys, xs = np.nonzero(mask)
    assert sorted(int(y) * 64 + int(x) for y, x in zip(ys, xs, strict=True)) == [0, 1, 2, 64, 65, 66]


def _coco_dataset(
    write_image: Callable[[Path, tuple[int, int]], None],
    root: Path,
    anns: list[dict[str, Any]],
    categories: list[dict[str, Any]] | None = None,
) -> Path:
    write_image(root / 'img1.jpg', (40, 30))
    doc = {
        'images': [{'id': 7, 'file_name': 'img1.jpg', 'width': 40, 'height': 30}],
        'annotations': anns,
        'categories': categories or [{'id': 3, 'name': 'cat'}, {'id': 9, 'name': 'dog'}],
    }
    (root / 'annotations.json').write_text(json.dumps(doc))
    return root


def test_coco_compressed_rle_crowd_and_multipart_polygons(
    tmp_path: Path, image_file: Callable[[Path, tuple[int, int]], None]
) -> None:
    mask = np.zeros((30, 40), dtype=np.uint8, order='F')
    mask[5:9, 10:20] = 1
    rle = mask_utils.encode(mask)
    rle['counts'] = rle['counts'].decode()
    anns = [
        {
            'id': 1,
            'image_id': 7,
            'category_id': 3,
            'segmentation': rle,
            'iscrowd': 1,
            'bbox': [10, 5, 10, 4],
            'area': 40,
        },
        {
            'id': 2,
            'image_id': 7,
            'category_id': 9,
            'segmentation': [[1, 1, 5, 1, 5, 5], [10, 10, 14, 10, 14, 14]],
            'bbox': [1, 1, 13, 13],
            'area': 16,
            'iscrowd': 0,
        },
    ]
    root = _coco_dataset(image_file, tmp_path / 'coco', anns)
    summary = get_converter('coco', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert summary.report.reasons() == {}  # a multi-part polygon stays one object: a DM group of its parts
    image = json.loads((tmp_path / 'dm' / 'json' / 'img1.json').read_text())['images'][0]
    assert len(image['polygon']) == 2
    (group,) = image['group']
    assert group['data'] == [p['id'] for p in image['polygon']]
    (segmentation,) = image['segmentation']
    assert segmentation['attrs'] == [{'name': 'iscrowd', 'value': 1}]
    assert segmentation['data'] == sorted(y * 40 + x for y in range(5, 9) for x in range(10, 20))
    get_converter('dm_v2', 'coco', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'coco2')
    coco = COCO(str(tmp_path / 'coco2' / 'annotations.json'))
    crowd = next(a for a in coco.loadAnns(coco.getAnnIds()) if a['iscrowd'] == 1)
    assert (coco.annToMask(crowd) == mask).all() and crowd['area'] == 40


def test_coco_keypoints_become_one_object_per_annotation(
    tmp_path: Path, image_file: Callable[[Path, tuple[int, int]], None]
) -> None:
    categories = [{'id': 1, 'name': 'person', 'keypoints': ['nose', 'eye'], 'skeleton': [[1, 2]]}]
    anns = [
        {
            'id': 1,
            'image_id': 7,
            'category_id': 1,
            'bbox': [2, 2, 10, 10],
            'keypoints': [5, 5, 2, 6, 4, 1],
            'num_keypoints': 2,
        },
        {
            'id': 2,
            'image_id': 7,
            'category_id': 1,
            'bbox': [20, 2, 10, 10],
            'keypoints': [25, 5, 2, 0, 0, 0],
            'num_keypoints': 1,
        },
    ]
    root = _coco_dataset(image_file, tmp_path / 'coco', anns, categories)
    get_converter('coco', 'yolo', root_dir=root).save_to_folder(tmp_path / 'yolo')
    rows = (tmp_path / 'yolo' / 'labels' / 'img1.txt').read_text().splitlines()
    assert rows == [
        '0 0.175000 0.233333 0.250000 0.333333 0.125000 0.166667 2 0.150000 0.133333 1',
        '0 0.625000 0.233333 0.250000 0.333333 0.625000 0.166667 2 0.000000 0.000000 0',
    ]
    yaml_text = (tmp_path / 'yolo' / 'dataset.yaml').read_text()
    assert 'kpt_shape: [2, 3]' in yaml_text
    get_converter('yolo', 'coco', root_dir=tmp_path / 'yolo').save_to_folder(tmp_path / 'coco2')
    coco = COCO(str(tmp_path / 'coco2' / 'annotations.json'))
    assert coco.cats[1]['keypoints'] == ['nose', 'eye']
    assert [a['keypoints'][2::3] for a in coco.loadAnns(coco.getAnnIds())] == [[2, 1], [2, 0]]


def test_yolo_pose_rows_with_an_even_count_are_not_polygons(
    tmp_path: Path, image_file: Callable[[Path, tuple[int, int]], None]
) -> None:
    root = tmp_path / 'yolo'
    image_file(root / 'images' / 'p.png', (100, 100))
    (root / 'labels').mkdir()
    # kpt_shape [2, 2]: 1 + 4 + 4 = 9 tokens... use [3, 2]: 4 + 6 = 10 values, an even count
    (root / 'labels' / 'p.txt').write_text('0 0.5 0.5 0.2 0.2 0.45 0.45 0.5 0.5 0.55 0.55\n')
    (root / 'dataset.yaml').write_text('names: [person]\nkpt_shape: [3, 2]\n')
    summary = get_converter('yolo', 'coco', root_dir=root).save_to_folder(tmp_path / 'coco')
    assert summary.annotations == {'all': {'keypoints': 1}}


def test_globox_reads_our_yolo_and_voc(dm_flat: Path, tmp_path: Path) -> None:
    from globox import AnnotationSet  # type: ignore[import-untyped]

    # task='detect': every row is a box (globox reads detection rows only), polygons as their boxes
    get_converter('dm_v2', 'yolo', root_dir=dm_flat, task='detect').save_to_folder(tmp_path / 'yolo')
    get_converter('dm_v2', 'pascal', root_dir=dm_flat).save_to_folder(tmp_path / 'voc')
    boxes_only = tmp_path / 'yolo_boxes'
    boxes_only.mkdir()
    for label in (tmp_path / 'yolo' / 'labels').glob('a*.txt'):  # globox takes one image extension
        rows = label.read_text().splitlines()
        assert all(len(r.split()) == 5 for r in rows)
        (boxes_only / label.name).write_text('\n'.join(rows) + '\n')
    yolo = AnnotationSet.from_yolo_v5(boxes_only, image_folder=tmp_path / 'yolo' / 'images', image_extension='.jpg')
    voc = AnnotationSet.from_pascal_voc(tmp_path / 'voc' / 'Annotations')
    a1_yolo = sorted((b.label, *b.ltrb) for b in yolo['a1.jpg'].boxes)
    a1_voc = sorted((b.label, *b.ltrb) for b in voc['a1.jpg'].boxes)
    names = (tmp_path / 'yolo' / 'classes.txt').read_text().split()
    got = [(names[int(b[0])], *b[1:]) for b in a1_yolo]
    # the keypoint person is written as its box, the road polygon as its box
    want = [
        ('car', 10, 5, 30, 15),
        ('person', 2, 2, 14, 22),
        ('person', 30.5, 12.25, 38.5, 28.25),
        ('road', 0, 30, 40, 44),
    ]
    assert [g[0] for g in got] == [w[0] for w in want]
    assert [v for g in got for v in g[1:]] == pytest.approx([v for w in want for v in w[1:]], abs=1e-3)
    # VOC: 1-based inclusive integers, so globox sees xmin = round(x) + 1 and xmax = round(x + w)
    assert a1_voc == [('car', 11, 6, 30, 15), ('person', 3, 3, 14, 22), ('person', 31, 13, 38, 28)]


def _one_image_voc(root: Path, image_file: Callable[[Path, tuple[int, int]], None], extra: str = '') -> Path:
    """A 50x40 VOC image with one whole-image ``dog`` box; ``extra`` goes into its <object>."""
    image_file(root / 'JPEGImages' / 'x.jpg', (50, 40))
    (root / 'Annotations').mkdir()
    (root / 'Annotations' / 'x.xml').write_text(
        '<annotation><filename>x.jpg</filename><size><width>50</width><height>40</height></size>'
        f'<object><name>dog</name>{extra}<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>50</xmax><ymax>40</ymax></bndbox>'
        '</object></annotation>'
    )
    return root


def test_voc_flags_and_attributes_survive(tmp_path: Path, image_file: Callable[[Path, tuple[int, int]], None]) -> None:
    flags = '<pose>Left</pose><truncated>1</truncated><difficult>1</difficult>'
    attributes = '<attributes><attribute><name>breed</name><value>lab</value></attribute></attributes>'
    root = _one_image_voc(tmp_path / 'voc', image_file, flags + attributes)
    get_converter('pascal', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    (box,) = json.loads((tmp_path / 'dm' / 'json' / 'x.json').read_text())['images'][0]['bounding_box']
    assert box['data'] == [0, 0, 50, 40]  # the whole image
    assert {a['name']: a['value'] for a in box['attrs']} == {
        'truncated': 1,
        'difficult': 1,
        'pose': 'Left',
        'breed': 'lab',
    }
    get_converter('dm_v2', 'pascal', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'voc2')
    xml = (tmp_path / 'voc2' / 'Annotations' / 'x.xml').read_text()
    assert '<xmin>1</xmin>' in xml and '<xmax>50</xmax>' in xml and '<difficult>1</difficult>' in xml
    assert '<pose>Left</pose>' in xml and '<name>breed</name>' in xml
    assert (tmp_path / 'voc2' / 'labelmap.txt').read_text().splitlines()[1].startswith('dog:')
    assert (tmp_path / 'voc2' / 'ImageSets' / 'Main' / 'default.txt').read_text() == 'x\n'


def test_voc_attribute_values_keep_their_type_through_a_round_trip(
    tmp_path: Path, image_file: Callable[[Path, tuple[int, int]], None]
) -> None:
    root = _one_image_voc(tmp_path / 'voc', image_file)
    get_converter('pascal', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    item = tmp_path / 'dm' / 'json' / 'x.json'
    doc = json.loads(item.read_text())
    values = {'s1': '1', 'st': 'true', 'sl': '[1]', 'sq': '"q"', 'plain': 'lab', 'n': 1, 'b': True, 'l': [1, 2]}
    doc['images'][0]['bounding_box'][0]['attrs'] = [{'name': k, 'value': v} for k, v in values.items()]
    item.write_text(json.dumps(doc))
    get_converter('dm_v2', 'pascal', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'voc2')
    get_converter('pascal', 'dm_v2', root_dir=tmp_path / 'voc2').save_to_folder(tmp_path / 'dm2')
    (box,) = json.loads((tmp_path / 'dm2' / 'json' / 'x.json').read_text())['images'][0]['bounding_box']
    assert {a['name']: a['value'] for a in box['attrs']} == values
    assert all(type(a['value']) is type(values[a['name']]) for a in box['attrs'])


def test_voc_keeps_a_second_image_with_the_same_name_renamed(dm_split: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copy(dm_split / 'train' / 'json' / 'a1.json', dm_split / 'valid' / 'json' / 'a1.json')
    shutil.copy(dm_split / 'train' / 'original_files' / 'a1.jpg', dm_split / 'valid' / 'original_files' / 'a1.jpg')
    summary = get_converter('dm_v2', 'pascal', root_dir=dm_split, is_categorized=True).save_to_folder(tmp_path / 'voc')
    assert summary.images == {'train': 2, 'valid': 2, 'test': 1}
    assert any("already has an image named 'a1'; written as 'valid_a1'" in e.reason for e in summary.report.entries)
    assert (tmp_path / 'voc' / 'ImageSets' / 'Main' / 'val.txt').read_text() == 'valid_a1\nc1\n'
    assert (tmp_path / 'voc' / 'Annotations' / 'valid_a1.xml').is_file()
