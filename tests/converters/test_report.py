"""Bad input is reported (or raised in strict mode) with the file and line, never silently dropped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import (
    ConverterError,
    DatasetFormatError,
    StrictModeError,
    UnsafePathError,
    get_converter,
)

ImageFile = Callable[[Path, tuple[int, int]], None]


def _dm(root: Path, image_file: ImageFile, docs: dict[str, Any], missing: tuple[str, ...] = ()) -> Path:
    (root / 'json').mkdir(parents=True)
    (root / 'original_files').mkdir()
    for stem, doc in docs.items():
        text = doc if isinstance(doc, str) else json.dumps(doc)
        (root / 'json' / f'{stem}.json').write_text(text)
        if stem not in missing:
            image_file(root / 'original_files' / f'{stem}.jpg', (40, 30))
    return root


def _box(data: list[Any], label: str = 'car') -> dict[str, Any]:
    return {'id': 'b1', 'classification': label, 'attrs': [], 'data': data}


def test_problems_are_reported_with_reasons(tmp_path: Path, image_file: ImageFile) -> None:
    docs = {
        'clip': {'images': [{'bounding_box': [_box([30, 20, 20, 20])]}]},
        'outside': {'images': [{'bounding_box': [_box([100, 100, 5, 5])]}]},
        'thin': {
            'images': [{'polygon': [{'id': 'p', 'classification': 'road', 'attrs': [], 'data': [[0, 0], [5, 5]]}]}]
        },
        'nofile': {'images': [{'bounding_box': [_box([1, 1, 2, 2])]}]},
        'broken': '{"images": [\n{"bounding_box": [}\n]}',
        'badbox': {'images': [{'bounding_box': [_box([1, 2, 3])]}]},
        'twoimages': {'images': [{'bounding_box': [_box([1, 1, 2, 2])]}, {}]},
    }
    root = _dm(tmp_path / 'dm', image_file, docs, missing=('nofile',))
    summary = get_converter('dm_v2', 'yolo', root_dir=root).save_to_folder(tmp_path / 'yolo')
    reasons = {(e.action, e.item or Path(e.file or '').stem, e.reason.split(' (')[0]) for e in summary.report.entries}
    assert ('changed', 'clip', 'box clipped to the image') in reasons
    assert ('skipped', 'outside', 'box lies outside the image or has no area') in reasons
    assert ('skipped', 'thin', 'polygon with fewer than 3 points') in reasons
    assert ('skipped', 'nofile', 'image file is missing') in reasons
    assert ('skipped', 'badbox', 'bounding_box data must be [x, y, width, height]') in reasons
    assert any(a == 'skipped' and s == 'twoimages' and 'only images[0]' in r for a, s, r in reasons)
    broken = next(e for e in summary.report.entries if e.item == 'broken')
    assert broken.file and broken.file.endswith('broken.json') and broken.line == 2
    assert str(broken).startswith('skipped: ') and 'broken.json:2' in str(broken)
    assert summary.images == {'all': 5}
    assert summary.to_dict()['report']['counts'] == {'changed': 1, 'skipped': 6}


@pytest.mark.parametrize(
    ('stem', 'doc', 'error', 'where'),
    [
        ('clip', {'images': [{'bounding_box': [_box([30, 20, 20, 20])]}]}, StrictModeError, 'clip'),
        ('broken', '{"images": [\n}', DatasetFormatError, 'broken.json:2'),
    ],
)
def test_strict_mode_raises_naming_the_place(
    tmp_path: Path, image_file: ImageFile, stem: str, doc: Any, error: type[Exception], where: str
) -> None:
    root = _dm(tmp_path / 'dm', image_file, {stem: doc})
    with pytest.raises(error) as info:
        get_converter('dm_v2', 'coco', root_dir=root, strict=True).save_to_folder(tmp_path / 'out')
    assert where in str(info.value)
    assert not (tmp_path / 'out').exists()


def test_yolo_bad_lines_name_file_and_line(tmp_path: Path, image_file: ImageFile) -> None:
    root = tmp_path / 'yolo'
    image_file(root / 'images' / 'x.jpg', (40, 30))
    (root / 'labels').mkdir()
    (root / 'labels' / 'x.txt').write_text(
        '0 0.5 0.5 0.2 0.2\n1 0.5 abc 0.2 0.2\n7 0.5 0.5 0.2 0.2\n0 0.5 0.5\n0 1.2 0.5 0.2 0.2\n'
    )
    (root / 'labels' / 'orphan.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    (root / 'classes.txt').write_text('car\nbus\n')
    summary = get_converter('yolo', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    found = {(e.action, e.line, e.reason.split(';')[0]) for e in summary.report.entries}
    assert ('skipped', 2, 'label line has a value that is not a number') in found
    assert ('changed', 3, 'unknown class index 7 (dataset has 2 classes)') in found
    assert ('skipped', 4, 'label line has 2 values') in found
    assert ('changed', 5, 'coordinates outside the image were clipped') in found
    assert any(
        e.reason == 'label file has no image' and (e.file or '').endswith('orphan.txt') for e in summary.report.entries
    )
    labels = [
        a['classification']
        for a in json.loads((tmp_path / 'dm' / 'json' / 'x.json').read_text())['images'][0]['bounding_box']
    ]
    assert labels == ['car', 'class_7', 'car']
    with pytest.raises(DatasetFormatError, match=r'x\.txt:2: label line has a value that is not a number'):
        get_converter('yolo', 'dm_v2', root_dir=root, strict=True).convert()


def test_file_names_cannot_leave_the_dataset(tmp_path: Path, image_file: ImageFile) -> None:
    root = tmp_path / 'coco'
    image_file(root / 'ok.jpg', (20, 20))
    image_file(tmp_path / 'secret.jpg', (20, 20))
    doc = {
        'images': [
            {'id': 1, 'file_name': '../secret.jpg', 'width': 20, 'height': 20},
            {'id': 2, 'file_name': '/etc/passwd', 'width': 20, 'height': 20},
            {'id': 3, 'file_name': 'ok.jpg', 'width': 20, 'height': 20},
        ],
        'annotations': [],
        'categories': [],
    }
    (root / 'annotations.json').write_text(json.dumps(doc))
    summary = get_converter('coco', 'yolo', root_dir=root).save_to_folder(tmp_path / 'out')
    assert summary.images == {'all': 1}
    assert sum('leaves the dataset folder' in e.reason for e in summary.report.entries) == 2
    assert not list((tmp_path / 'out').rglob('secret*'))
    with pytest.raises(UnsafePathError, match='leaves the dataset folder'):
        get_converter('coco', 'yolo', root_dir=root, strict=True).convert()

    voc = tmp_path / 'voc'
    (voc / 'Annotations').mkdir(parents=True)
    (voc / 'Annotations' / 'a.xml').write_text('<annotation><filename>../../secret.jpg</filename></annotation>')
    (voc / 'Annotations' / 'b.xml').write_text('<annotation>\n<object><name>x</name>\n</annotation>')
    image_file(voc / 'JPEGImages' / 'c.jpg', (20, 20))  # one good item: a conversion writing nothing is an error
    (voc / 'Annotations' / 'c.xml').write_text('<annotation><filename>c.jpg</filename></annotation>')
    summary = get_converter('pascal', 'coco', root_dir=voc).convert()
    entries = {Path(e.file or '').name: e for e in summary.report.entries}
    assert 'leaves the dataset folder' in entries['a.xml'].reason
    assert entries['b.xml'].line == 3 and entries['b.xml'].reason.startswith('invalid XML')


def test_errors_are_typed_and_pickle(tmp_path: Path) -> None:
    import pickle

    error = DatasetFormatError('bad', file=tmp_path / 'x.txt', line=3)
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, ConverterError) and isinstance(again, ValueError)
    assert (again.file, again.line, str(again)) == (str(tmp_path / 'x.txt'), 3, f'{tmp_path / "x.txt"}:3: bad')


def test_entries_made_while_an_image_is_written_name_that_image(tmp_path: Path, image_file: ImageFile) -> None:
    docs = {
        'clip': {'images': [{'bounding_box': [_box([30, 20, 20, 20])]}]},
        'tagged': {'images': [{'bounding_box': [_box([1, 1, 5, 5])], 'classification': [{
            'id': 't1', 'classification': 'night', 'attrs': [], 'data': {}}]}]},
    }  # fmt: skip
    root = _dm(tmp_path / 'dm', image_file, docs)
    summary = get_converter('dm_v2', 'yolo', root_dir=root).save_to_folder(tmp_path / 'yolo')
    by_reason = {entry.reason: entry for entry in summary.report.entries}
    clipped = next(e for reason, e in by_reason.items() if 'clipped' in reason or 'outside' in reason)
    assert clipped.image == str(root / 'original_files' / 'clip.jpg')
    assert f'[image {root / "original_files" / "clip.jpg"}]' in str(clipped)
    lost = next(e for e in summary.report.entries if e.action == 'lost')
    assert lost.image == str(root / 'original_files' / 'tagged.jpg')
    assert lost.to_dict()['image'] == lost.image
