"""Reading COCO streams: items come in ``images`` order with all their annotations whatever the order
of the annotations or of the top-level keys, and memory does not follow the annotation count."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import _coco_stream as coco_stream
from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters._coco import COCOReader
from synapse_sdk.utils.converters._model import Box
from synapse_sdk.utils.converters._report import Report
from synapse_sdk.utils.converters.errors import DatasetFormatError

CATEGORIES = [{'id': 1, 'name': 'car'}, {'id': 2, 'name': 'person'}]


def _images(count: int) -> list[dict[str, Any]]:
    return [{'id': i + 1, 'file_name': f'im{i:05d}.jpg', 'width': 640, 'height': 480} for i in range(count)]


def _annotations(images: int, per_image: int, *, skip: int = 0) -> list[dict[str, Any]]:
    """``per_image`` boxes for each image except every ``skip``-th one; the box's x is the annotation id."""
    found: list[dict[str, Any]] = []
    for image in range(1, images + 1):
        if skip and image % skip == 0:
            continue
        for n in range(per_image):
            ann_id = len(found) + 1
            found.append({'id': ann_id, 'image_id': image, 'category_id': 1 + n % 2, 'bbox': [ann_id, 2, 3, 4]})
    return found


def _write(folder: Path, keys: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'annotations.json').write_text(json.dumps(keys))
    return folder


def _read(folder: Path, report: Report | None = None) -> list[tuple[str, list[tuple[str, float]]]]:
    reader = COCOReader(folder, is_categorized=False, report=report or Report())
    assert reader.class_names() == ['car', 'person']
    return [(item.name, [(a.label, a.x) for a in item.annotations if isinstance(a, Box)]) for item in reader.items()]


def _expected(images: list[dict[str, Any]], anns: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, float]]]]:
    names = {1: 'car', 2: 'person'}
    return [
        (
            image['file_name'][:-4],
            [(names[a['category_id']], float(a['bbox'][0])) for a in anns if a['image_id'] == image['id']],
        )
        for image in images
    ]


def _interleaved(anns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in anns:
        by_image.setdefault(ann['image_id'], []).append(ann)
    rounds = max(len(v) for v in by_image.values())
    return [group[n] for n in range(rounds) for group in by_image.values() if n < len(group)]


ORDERS = {
    'sorted': lambda anns: anns,
    'reversed': lambda anns: anns[::-1],
    'shuffled': lambda anns: random.Random(5).sample(anns, len(anns)),
    'interleaved': _interleaved,
}


@pytest.mark.parametrize('order', sorted(ORDERS))
@pytest.mark.parametrize(
    'keys', [('images', 'annotations', 'categories'), ('annotations', 'categories', 'images'), ('categories',)]
)
@pytest.mark.parametrize('buffered', [4096, 3])
def test_items_follow_images_order_whatever_the_annotation_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str, keys: tuple[str, ...], buffered: int
) -> None:
    monkeypatch.setattr(coco_stream, 'BUFFERED', buffered)  # 3: early annotations go to disk at once
    images = _images(12)
    anns = ORDERS[order](_annotations(12, 3, skip=4))  # images 4, 8 and 12 have no annotations
    parts = {'images': images, 'annotations': anns, 'categories': CATEGORIES}
    doc = {key: parts[key] for key in keys} | {key: parts[key] for key in parts if key not in keys}
    report = Report()
    assert _read(_write(tmp_path, doc), report) == _expected(images, anns)
    assert not report.entries


def test_keys_the_byte_scan_cannot_count_still_give_every_annotation(tmp_path: Path) -> None:
    images = _images(3)
    anns = _annotations(3, 2)
    anns[1]['attributes'] = {'image_id': 1, 'note': '"image_id": 3'}  # counted by the scan, not annotations
    text = json.dumps({'images': images, 'annotations': anns, 'categories': CATEGORIES})
    text = text.replace('"image_id": 2', '"image\\u005fid": 2', 1)  # the same key, spelled with an escape
    (tmp_path / 'annotations.json').write_text(text)
    assert coco_stream.scan(tmp_path / 'annotations.json').bounds is None
    assert _read(tmp_path) == _expected(images, anns)


def test_annotations_of_unknown_or_unusable_images_are_reported(tmp_path: Path) -> None:
    images = _images(3)
    images[1]['file_name'] = '../escape.jpg'
    anns = _annotations(3, 1) + [{'id': 9, 'image_id': 40, 'category_id': 1, 'bbox': [1, 1, 1, 1]}, {'id': 10}]
    report = Report()
    items = _read(_write(tmp_path, {'images': images, 'annotations': anns, 'categories': CATEGORIES}), report)
    assert [name for name, _ in items] == ['im00000', 'im00002']
    reasons = {(e.annotation, e.reason) for e in report.entries}
    assert ('annotations[1]', 'annotation refers to unknown image id 2') in reasons
    assert ('annotations[3]', 'annotation refers to unknown image id 40') in reasons
    assert ('annotations[4]', 'annotation needs an integer "image_id"') in reasons


@pytest.mark.parametrize(
    ('text', 'message'),
    [
        ('{"images": [], "annotations": [{"image_id": 1}', 'invalid JSON'),
        ('{"images": [], "annotations": {"item": {"image_id": 1}}}', '"annotations" must be a list'),
        ('[{"images": []}]', 'must hold a JSON object'),
        ('{"images": {}, "annotations": [], "categories": 7}', '"categories" must be a list'),
    ],
)
def test_malformed_files_give_one_typed_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / 'annotations.json').write_text(text)
    reader = COCOReader(tmp_path, is_categorized=False, report=Report())
    with pytest.raises(DatasetFormatError, match=message) as raised:
        reader.class_names()
        list(reader.items())
    assert raised.value.file == str(tmp_path / 'annotations.json')


PEAK_RSS = """
import re, sys
from pathlib import Path
from synapse_sdk.utils.converters import get_converter

def high_water_kb():
    return int(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1))

Path('/proc/self/clear_refs').write_text('5')  # restart the high-water mark: imports are not measured
get_converter('coco', 'coco', root_dir=Path(sys.argv[1]), images='none').save_to_folder(Path(sys.argv[2]))
print(high_water_kb())
"""


def _peak_rss_kb(source: Path, out: Path) -> int:
    """Peak RSS of a fresh process while it converts (kB), as a user watching the process sees it."""
    done = subprocess.run([sys.executable, '-c', PEAK_RSS, str(source), str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not Path('/proc/self/clear_refs').exists(), reason='needs Linux /proc to reset the peak RSS')
def test_memory_stays_flat_as_the_dataset_grows(tmp_path: Path) -> None:
    peaks, sizes = {}, {}
    for count in (800, 3200):
        anns = _annotations(count, 20)
        for ann in anns:
            ann['segmentation'] = [[1, 1, 9, 1, 9, 9, 1, 9]]
        source = _write(
            tmp_path / str(count), {'images': _images(count), 'annotations': anns, 'categories': CATEGORIES}
        )
        sizes[count] = (source / 'annotations.json').stat().st_size // 1024
        peaks[count] = _peak_rss_kb(source, tmp_path / f'out{count}')
    assert peaks[3200] < 1.5 * peaks[800], (peaks, sizes)
    # a parsed document takes several times its file's size; streaming grows less than the file
    assert peaks[3200] - peaks[800] < sizes[3200] - sizes[800], (peaks, sizes)


def test_convert_from_streamed_coco_matches_the_file(
    tmp_path: Path, image_file: Callable[[Path, tuple[int, int]], None]
) -> None:
    images = _images(5)
    anns = ORDERS['shuffled'](_annotations(5, 2, skip=3))
    source = _write(tmp_path / 'coco', {'categories': CATEGORIES, 'annotations': anns, 'images': images})
    for image in images:
        image_file(source / image['file_name'], (640, 480))
    summary = get_converter('coco', 'yolo', root_dir=source, images='none').save_to_folder(tmp_path / 'yolo')
    assert summary.annotations['all']['bbox'] == len(anns)
    labels = sorted(p.stem for p in (tmp_path / 'yolo' / 'labels').glob('*.txt'))
    assert labels == [image['file_name'][:-4] for image in images]


@pytest.mark.parametrize('target', ['yolo', 'pascal', 'coco'])
def test_labels_only_conversion_needs_no_image_files(tmp_path: Path, target: str) -> None:
    # COCO carries every image's size, so with images='none' the image files may be absent entirely.
    images = _images(3)
    anns = _annotations(3, 2)
    source = _write(tmp_path / 'coco', {'categories': CATEGORIES, 'annotations': anns, 'images': images})
    summary = get_converter('coco', target, root_dir=source, images='none').save_to_folder(tmp_path / 'out')
    assert summary.annotations['all']['bbox'] == len(anns)
    assert not summary.report.entries
