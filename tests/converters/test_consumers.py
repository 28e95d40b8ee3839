"""What we write, loaded by the tools that consume it: Ultralytics, pycocotools (COCOeval), Datumaro
and supervision, each the real package in its own environment outside the workspace lock.

The datasets mix boxes and polygons in one image and hold a multi-part object: the cases where the
old output was dropped (Ultralytics), split (COCO) or refused (Datumaro).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import get_converter

ImageFile = Callable[[Path, tuple[int, int]], None]
RunPeer = Callable[..., Any]


def ann(ann_id: str, label: str, data: Any) -> dict[str, Any]:
    return {'id': ann_id, 'classification': label, 'attrs': [], 'data': data}


SIZE = (200, 100)
BOXES = [('car', [10, 10, 40, 20]), ('person', [120, 30, 20, 50])]
POLYGONS = [('road', [[0, 60], [100, 60], [100, 95], [0, 95]]), ('car', [[150, 5], [190, 5], [170, 25]])]
PARTS = [[[20, 40], [40, 40], [40, 55]], [[60, 40], [80, 40], [80, 55], [60, 55]]]  # one 'tree' in two parts
CLASSES = ['person', 'car', 'road', 'tree', 'bus']  # bus is used nowhere, yet it keeps its id


def _dm_mixed(root: Path, image_file: ImageFile) -> Path:
    """Two images; m1 holds boxes, polygons and a two-part tree (a DM group of two polygons)."""
    tools: dict[str, Any] = {
        'bounding_box': [ann(f'b{i}', label, data) for i, (label, data) in enumerate(BOXES)],
        'polygon': [ann(f'p{i}', label, data) for i, (label, data) in enumerate(POLYGONS)]
        + [ann(f't{i}', 'tree', data) for i, data in enumerate(PARTS)],
        'group': [ann('g1', 'tree', ['t0', 't1'])],
    }
    docs = {'m1': tools, 'm2': {'bounding_box': [ann('c1', 'person', [5, 5, 50, 50])], 'polygon': []}}
    for stem, image in docs.items():
        (root / 'json').mkdir(parents=True, exist_ok=True)
        doc = {'classification': {'bounding_box': CLASSES, 'polygon': CLASSES}, 'images': [image]}
        (root / 'json' / f'{stem}.json').write_text(json.dumps(doc))
        image_file(root / 'original_files' / f'{stem}.png', SIZE)
    return root


def _box(points: Sequence[Sequence[float]]) -> tuple[float, ...]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _expected_objects() -> dict[str, list[tuple[str, tuple[float, ...]]]]:
    """Every object per image as (class, pixel box): the multi-part tree is one object."""
    m1: list[tuple[str, tuple[float, ...]]] = [(label, tuple(map(float, data))) for label, data in BOXES]
    m1 += [(label, _box(data)) for label, data in POLYGONS]
    m1.append(('tree', _box([p for part in PARTS for p in part])))
    return {'m1': sorted(m1), 'm2': [('person', (5.0, 5.0, 50.0, 50.0))]}


ULTRALYTICS_SCRIPT = r"""
import json, sys
from pathlib import Path
from ultralytics.data.utils import check_det_dataset, verify_image_label
from ultralytics.data.dataset import YOLODataset

yaml_path, task = sys.argv[1], sys.argv[2]
data = check_det_dataset(yaml_path)
images = sorted(Path(data['train']).iterdir())
corrupt = []
for image in images:
    label = Path(str(image.parent).replace('images', 'labels')) / (image.stem + '.txt')
    result = verify_image_label((str(image), str(label), '', task == 'pose', len(data['names']), 0, 0, False))
    if result[0] is None or result[8]:
        corrupt.append([image.name, result[-1]])
dataset = YOLODataset(img_path=data['train'], data=data, task=task, imgsz=640, augment=False, cache=False)
labels = {}
for entry in dataset.labels:
    labels[Path(entry['im_file']).stem] = {
        'shape': list(entry['shape']),
        'cls': [int(c) for c in entry['cls'].reshape(-1)],
        'bboxes': entry['bboxes'].tolist(),
        'segments': [s.tolist() for s in entry['segments']],
    }
print(json.dumps({'names': data['names'], 'corrupt': corrupt, 'labels': labels}))
"""


@pytest.mark.parametrize('task', ['detect', 'segment'])
def test_ultralytics_loads_every_box_and_polygon(
    task: str, tmp_path: Path, image_file: ImageFile, ultralytics_python: Path, run_peer: RunPeer
) -> None:
    dm = _dm_mixed(tmp_path / 'dm', image_file)
    summary = get_converter('dm_v2', 'yolo', root_dir=dm, task=task).save_to_folder(tmp_path / 'yolo')
    changed = summary.report.reasons()
    if task == 'detect':
        assert 'changed: polygons written as their boxes (task=detect) (x3)' in changed
    else:
        assert 'changed: boxes written as their four-corner polygons (task=segment) (x2)' in changed
    moved = tmp_path / 'elsewhere' / 'copied'  # dataset.yaml has no absolute path: a copy loads
    shutil.copytree(tmp_path / 'yolo', moved)
    shutil.rmtree(tmp_path / 'yolo')
    seen = run_peer([str(ultralytics_python)], ULTRALYTICS_SCRIPT, str(moved / 'data.yaml'), task, tmp=tmp_path)
    assert seen['corrupt'] == []
    names = seen['names']
    assert [names[str(i)] if isinstance(names, dict) else names[i] for i in range(len(CLASSES))] == CLASSES
    width, height = SIZE
    for stem, objects in _expected_objects().items():
        label = seen['labels'][stem]
        assert label['shape'] == [height, width]
        got = sorted(
            (CLASSES[c], (x - w / 2) * width, (y - h / 2) * height, w * width, h * height)
            for c, (x, y, w, h) in zip(label['cls'], label['bboxes'], strict=True)
        )
        want = sorted((label_, *box) for label_, box in objects)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert g[0] == w[0] and g[1:] == pytest.approx(w[1:], abs=1e-3)
        if task == 'segment' and stem == 'm1':
            rings = sorted(tuple((round(x * width, 2), round(y * height, 2)) for x, y in s) for s in label['segments'])
            assert ((150.0, 5.0), (190.0, 5.0), (170.0, 25.0)) in rings  # a polygon, exactly
            assert ((10.0, 10.0), (50.0, 10.0), (50.0, 30.0), (10.0, 30.0)) in rings  # a box, as its corners
        elif task == 'detect':
            assert label['segments'] == []


COCOEVAL_SCRIPT = r"""
import json, sys
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

truth, ours = COCO(sys.argv[1]), json.load(open(sys.argv[2]))
image_ids = {i['file_name']: i['id'] for i in truth.dataset['images']}
category_ids = {c['name']: c['id'] for c in truth.dataset['categories']}
our_images = {i['id']: i['file_name'] for i in ours['images']}
our_categories = {c['id']: c['name'] for c in ours['categories']}
results = [
    {
        'image_id': image_ids[our_images[a['image_id']]],
        'category_id': category_ids[our_categories[a['category_id']]],
        'bbox': a['bbox'],
        'segmentation': a['segmentation'],
        'score': 1.0,
    }
    for a in ours['annotations']
]
out = {'annotations': len(ours['annotations']), 'categories': [c['name'] for c in ours['categories']]}
for kind in ('bbox', 'segm'):
    evaluation = COCOeval(truth, truth.loadRes(results), kind)
    evaluation.evaluate(); evaluation.accumulate(); evaluation.summarize()
    out[kind] = float(evaluation.stats[0])
print(json.dumps(out))
"""


def _coco_source(root: Path, image_file: ImageFile) -> Path:
    """A COCO set whose category ids are not in name order, with a multi-part object and an unused category."""
    categories = [{'id': 7, 'name': 'road'}, {'id': 2, 'name': 'car'}, {'id': 9, 'name': 'tree'}]
    categories.append({'id': 4, 'name': 'bus'})
    anns: list[dict[str, Any]] = []
    for index, (label, points) in enumerate(
        [*POLYGONS, ('car', [[10, 10], [50, 10], [50, 30], [10, 30]]), ('tree', PARTS[0])]
    ):
        flat = [v for p in points for v in p]
        x, y, w, h = _box(points)
        anns.append({'id': index + 1, 'image_id': 1, 'category_id': {'road': 7, 'car': 2, 'tree': 9}[label]})
        anns[-1].update(segmentation=[flat], bbox=[x, y, w, h], area=w * h, iscrowd=0)
    multi = [[v for p in part for v in p] for part in PARTS]
    x, y, w, h = _box([p for part in PARTS for p in part])
    anns.append({'id': 9, 'image_id': 2, 'category_id': 9, 'segmentation': multi, 'bbox': [x, y, w, h], 'area': 500.0})
    anns[-1]['iscrowd'] = 0
    images: list[dict[str, Any]] = [{'id': 1, 'file_name': 'c1.png', 'width': SIZE[0], 'height': SIZE[1]}]
    images.append({'id': 2, 'file_name': 'c2.png', 'width': SIZE[0], 'height': SIZE[1]})
    root.mkdir(parents=True)
    for image in images:
        image_file(root / image['file_name'], SIZE)
    doc = {'images': images, 'annotations': anns, 'categories': categories}
    (root / 'annotations.json').write_text(json.dumps(doc))
    return root


def test_cocoeval_of_our_coco_against_the_source_is_perfect(
    tmp_path: Path, image_file: ImageFile, peer_python: list[str], run_peer: RunPeer
) -> None:
    source = _coco_source(tmp_path / 'coco', image_file)
    get_converter('coco', 'coco', root_dir=source).save_to_folder(tmp_path / 'direct')
    get_converter('coco', 'dm_v2', root_dir=source).save_to_folder(tmp_path / 'dm')
    get_converter('dm_v2', 'coco', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'via_dm')
    for route in ('direct', 'via_dm'):
        ours = tmp_path / route / 'annotations.json'
        seen = run_peer(peer_python, COCOEVAL_SCRIPT, str(source / 'annotations.json'), str(ours), tmp=tmp_path)
        assert seen['annotations'] == 5, route  # the two-part tree is still one annotation
        assert seen['bbox'] == pytest.approx(1.0) and seen['segm'] == pytest.approx(1.0), (route, seen)
        assert seen['categories'] == ['car', 'bus', 'road', 'tree'], route  # id order (2, 4, 7, 9), unused kept
        multi = [a for a in json.loads(ours.read_text())['annotations'] if len(a['segmentation']) == 2]
        assert len(multi) == 1


IMPORT_SCRIPT = r"""
import json, sys
import datumaro as dm
import supervision as sv

fmt, path = sys.argv[1], sys.argv[2]
out = {}
dataset = dm.Dataset.import_from(path, {'coco': 'coco_instances', 'yolo': 'yolo', 'pascal': 'voc_detection'}[fmt])
labels = dataset.categories()[dm.AnnotationType.label]
boxes = []
for item in dataset:
    for a in item.annotations:
        if a.type == dm.AnnotationType.bbox:  # Datumaro adds each COCO object's box beside its polygons
            x, y, w, h = a.get_bbox()
            boxes.append([item.id.split('/')[-1], labels[a.label].name, x, y, w, h])
out['datumaro'] = sorted(boxes)
if fmt == 'coco':
    ds = sv.DetectionDataset.from_coco(path + '/images/default', path + '/annotations/instances_default.json')
elif fmt == 'yolo':
    ds = sv.DetectionDataset.from_yolo(path + '/images', path + '/labels', path + '/data.yaml')
else:
    ds = sv.DetectionDataset.from_pascal_voc(path + '/JPEGImages', path + '/Annotations')
found = []
for image_path, _, detections in ds:
    stem = image_path.replace('\\', '/').rsplit('/', 1)[-1].rsplit('.', 1)[0]
    for (x0, y0, x1, y1), class_id in zip(detections.xyxy.tolist(), detections.class_id.tolist()):
        found.append([stem, ds.classes[class_id], x0, y0, x1 - x0, y1 - y0])
out['supervision'] = sorted(found)
print(json.dumps(out))
"""


@pytest.mark.parametrize('target', ['coco', 'yolo', 'pascal'])
def test_datumaro_and_supervision_import_every_box(
    target: str, tmp_path: Path, image_file: ImageFile, peer_python: list[str], run_peer: RunPeer
) -> None:
    dm = _dm_mixed(tmp_path / 'dm', image_file)
    # Datumaro's YOLO importer reads detection rows only, so YOLO goes as a detect dataset here; its
    # COCO importer needs the MS-COCO layout (annotations/instances_<split>.json + images/<split>/)
    options: dict[str, Any] = {'yolo': {'task': 'detect'}, 'coco': {'coco_layout': 'mscoco'}}.get(target, {})
    get_converter('dm_v2', target, root_dir=dm, **options).save_to_folder(tmp_path / target)
    seen = run_peer(peer_python, IMPORT_SCRIPT, target, str(tmp_path / target), tmp=tmp_path)
    want = _expected_objects()
    if target == 'pascal':  # VOC holds boxes only: the polygons are reported lost
        want['m1'] = [(label, box) for label, box in want['m1'] if (label, list(box)) in BOXES_AS_LISTS]
    expected = sorted([stem, label, *box] for stem, objects in want.items() for label, box in objects)
    tolerance = 1.0 if target == 'pascal' else 1e-3  # VOC: integer pixels
    for tool in ('datumaro', 'supervision'):
        got = seen[tool]
        assert [g[:2] for g in got] == [e[:2] for e in expected], tool
        for g, e in zip(got, expected, strict=True):
            assert g[2:] == pytest.approx(e[2:], abs=tolerance), (tool, g, e)


BOXES_AS_LISTS = [(label, [float(v) for v in data]) for label, data in BOXES] + [('person', [5.0, 5.0, 50.0, 50.0])]
