"""``workers=N``: a per-image format written on N processes is the same output as on one.

The dataset is made so that what a process cannot know alone changes mid-way: a class first met
in a late batch, the first polygon (YOLO ``auto`` turns to ``segment``) after hundreds of boxes,
the same image name in two splits (VOC renames one), images without annotations, a box outside
its image (a report entry). Files are compared byte for byte; the report entry by entry, in order.
"""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synapse_sdk.cli._main import app
from synapse_sdk.utils.converters import ConversionSummary, StrictModeError, get_converter
from synapse_sdk.utils.converters._model import Box, Item, Keypoint, Keypoints, Polygon
from synapse_sdk.utils.converters.testing import write_dm_dataset, write_image

COUNT = 420  # a little more than three batches of 128 per split
SIZE = (40, 30)


def _annotations(index: int) -> list[Any]:
    if index % 50 == 7:
        return []  # an image without annotations
    anns: list[Any] = [Box('car', 2 + index % 7, 3, 10, 8), Box('person', 20, 4, 6, 12.5)]
    if index == 5:
        anns.append(Box('car', 60, 50, 10, 10))  # outside the image: skipped, reported
    # in reading order (train, then valid), batches of 128 are: train images 1..191, 193..383,
    # 385..419 + valid 0..309, valid 312..417
    if 200 <= index <= 380 and index % 3:
        anns.append(Box('bus', 1, 1, 5, 5))  # a class first met in the second batch
    if index == 250:
        anns.append(Polygon('road', [(0.0, 20.0), (30.0, 20.0), (30.0, 29.0), (0.0, 29.0)]))  # the first polygon
    if index == 3:
        anns.append(Box('van', 4, 4, 9, 9))  # first met in the third batch, which did not know 'bus' when sent
    if index % 97 == 3:
        anns.append(Keypoints('pedestrian', [Keypoint('head', 5, 5, 2), Keypoint('hand', 8, 9, 1)], (3, 3, 10, 10)))
    return anns


@pytest.fixture(scope='module')
def dm_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp('workers')
    items = []
    for index in range(COUNT):
        split = 'valid' if index % 3 == 0 else 'train'
        name = f'img_{index + (split == "valid"):03d}'  # each valid name is a train name too (VOC renames)
        image = base / 'images' / split / f'{name}.png'
        write_image(image, SIZE)
        items.append(Item(name, split, image, *SIZE, _annotations(index)))
    return write_dm_dataset(base / 'dm', items)


@pytest.fixture(scope='module')
def sources(dm_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp('sources')
    found = {'dm_v2': dm_root}
    for fmt in ('coco', 'yolo'):
        get_converter('dm_v2', fmt, root_dir=dm_root).save_to_folder(base / fmt)
        found[fmt] = base / fmt
    return found


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def _same(one: ConversionSummary, many: ConversionSummary, out_one: Path, out_many: Path) -> None:
    tree_one, tree_many = _tree(out_one), _tree(out_many)
    assert sorted(tree_one) == sorted(tree_many)
    assert [name for name in tree_one if tree_one[name] != tree_many[name]] == []
    assert [str(e) for e in many.report.entries] == [str(e) for e in one.report.entries]
    assert {**many.to_dict(), 'output': None} == {**one.to_dict(), 'output': None}


@pytest.mark.parametrize(
    ('source', 'target', 'images'),
    [('dm_v2', 'yolo', 'copy'), ('coco', 'yolo', 'link'), ('yolo', 'dm_v2', 'copy'), ('dm_v2', 'pascal', 'none')],
)
def test_output_equals_one_process(
    sources: dict[str, Path], tmp_path: Path, source: str, target: str, images: str
) -> None:
    one = get_converter(source, target, root_dir=sources[source], images=images).save_to_folder(tmp_path / '1')
    many = get_converter(source, target, root_dir=sources[source], images=images, workers=2)
    summary = many.save_to_folder(tmp_path / '2')
    _same(one, summary, tmp_path / '1', tmp_path / '2')
    assert summary.total_images == one.total_images > 2 * 128  # several batches really went to workers
    if source != 'yolo':  # our YOLO holds neither the box outside its image nor the keypoints
        assert summary.report.entries


def test_what_a_process_cannot_know_alone_is_as_on_one(sources: dict[str, Path], tmp_path: Path) -> None:
    summary = get_converter('dm_v2', 'yolo', root_dir=sources['dm_v2'], workers=3).save_to_folder(tmp_path / 'y')
    config = (tmp_path / 'y' / 'dataset.yaml').read_text()
    assert 'task: segment' in config  # the first polygon comes late; earlier box files were rewritten
    assert summary.classes == ['car', 'person', 'pedestrian', 'bus', 'road', 'van']  # in order of first meeting
    first = sorted((tmp_path / 'y' / 'valid' / 'labels').iterdir())[0].read_text().splitlines()
    assert all(len(row.split()) == 9 for row in first)  # a box as its four corners, never a 5-value row
    renamed = get_converter('dm_v2', 'pascal', root_dir=sources['dm_v2'], workers=2).save_to_folder(tmp_path / 'v')
    assert any('written as' in e.reason for e in renamed.report.entries)  # the same name in two splits
    assert len(list((tmp_path / 'v' / 'Annotations').iterdir())) == renamed.total_images


def test_spawned_workers_when_threads_are_alive(sources: dict[str, Path], tmp_path: Path) -> None:
    # with another thread alive the workers are spawned, not forked: same output
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        many = get_converter('coco', 'yolo', root_dir=sources['coco'], images='none', workers=2)
        summary = many.save_to_folder(tmp_path / '2')
    finally:
        stop.set()
        thread.join()
    one = get_converter('coco', 'yolo', root_dir=sources['coco'], images='none').save_to_folder(tmp_path / '1')
    _same(one, summary, tmp_path / '1', tmp_path / '2')


def test_strict_error_in_a_worker_is_the_same_error(sources: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(StrictModeError) as one:
        get_converter('dm_v2', 'yolo', root_dir=sources['dm_v2'], strict=True).save_to_folder(tmp_path / '1')
    with pytest.raises(StrictModeError) as many:
        get_converter('dm_v2', 'yolo', root_dir=sources['dm_v2'], strict=True, workers=2).save_to_folder(tmp_path / '2')
    assert str(many.value) == str(one.value)
    assert not (tmp_path / '2').exists()  # nothing half-written is left


def test_progress_reaches_the_total(sources: dict[str, Path], tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    converter = get_converter(
        'dm_v2', 'yolo', root_dir=sources['dm_v2'], images='none', workers=2, progress=lambda d, t: seen.append((d, t))
    )
    summary = converter.save_to_folder(tmp_path / 'out')
    assert seen[-1] == (summary.total_images, summary.total_images)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_whole_dataset_format_writes_on_one_process(sources: dict[str, Path], tmp_path: Path) -> None:
    one = get_converter('dm_v2', 'coco', root_dir=sources['dm_v2'], images='none').save_to_folder(tmp_path / '1')
    many = get_converter('dm_v2', 'coco', root_dir=sources['dm_v2'], images='none', workers=2)
    _same(one, many.save_to_folder(tmp_path / '2'), tmp_path / '1', tmp_path / '2')


@pytest.mark.parametrize('workers', [0, -1, True, 1.5, '2'])
def test_workers_must_be_a_whole_number(sources: dict[str, Path], workers: Any) -> None:
    with pytest.raises(ValueError, match='workers must be a whole number'):
        get_converter('dm_v2', 'yolo', root_dir=sources['dm_v2'], workers=workers)


def test_cli_workers(sources: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = ['dataset', 'convert', str(sources['dm_v2']), '--to', 'yolo', '--image-mode', 'none', '--quiet']
    done = runner.invoke(app, [*args[:3], str(tmp_path / '2'), *args[3:], '--workers', '2'])
    assert done.exit_code == 0, done.output
    assert runner.invoke(app, [*args[:3], str(tmp_path / '1'), *args[3:]]).exit_code == 0
    assert _tree(tmp_path / '1') == _tree(tmp_path / '2')
    bad = runner.invoke(app, [*args[:3], str(tmp_path / '3'), *args[3:], '--workers', '0'])
    assert bad.exit_code == 2 and '--workers' in bad.output and 'Traceback' not in bad.output
    report = tmp_path / 'report.json'
    runner.invoke(app, [*args[:3], str(tmp_path / '4'), *args[3:], '--workers', '2', '--report', str(report)])
    assert json.loads(report.read_text())['report']['entries']


def test_problems_a_worker_finds_are_reported_in_place(sources: dict[str, Path], tmp_path: Path) -> None:
    # a COCO file with an unknown category, an image that is not there, an annotation of no image
    coco, train = tmp_path / 'coco', sources['coco'] / 'train'
    coco.mkdir()
    for image in train.glob('*.png'):
        (coco / image.name).symlink_to(image)
    doc = json.loads((train / 'annotations.json').read_text())
    doc['annotations'][40]['category_id'] = 999
    doc['images'][200]['file_name'] = 'missing.png'
    doc['annotations'].append({**doc['annotations'][0], 'id': 10**6, 'image_id': 10**6})
    (coco / 'annotations.json').write_text(json.dumps(doc))
    one = get_converter('coco', 'yolo', root_dir=coco, images='none').save_to_folder(tmp_path / '1')
    many = get_converter('coco', 'yolo', root_dir=coco, images='none', workers=2).save_to_folder(tmp_path / '2')
    _same(one, many, tmp_path / '1', tmp_path / '2')
    reasons = ' '.join(e.reason for e in many.report.entries)
    assert 'unknown category id 999' in reasons and 'unknown image id' in reasons


def test_a_file_that_cannot_be_written_fails_as_on_one_process(tmp_path: Path) -> None:
    # the workers' files are written on a thread of the main process: its failure must not be lost
    long_name = 'x' * 300  # a label file name longer than the file system allows
    images = [
        {'id': i + 1, 'file_name': f'{long_name if i == 200 else f"img_{i}"}.jpg', 'width': 40, 'height': 30}
        for i in range(400)
    ]
    annotations = [{'id': i + 1, 'image_id': i + 1, 'category_id': 1, 'bbox': [1, 2, 5, 5]} for i in range(400)]
    root = tmp_path / 'coco'
    root.mkdir()
    doc = {'images': images, 'annotations': annotations, 'categories': [{'id': 1, 'name': 'car'}]}
    (root / 'annotations.json').write_text(json.dumps(doc))
    errors = []
    for workers in (1, 2):
        with pytest.raises(OSError) as failed:
            get_converter('coco', 'yolo', root_dir=root, images='none', workers=workers).save_to_folder(
                tmp_path / f'out{workers}'
            )
        errors.append((type(failed.value), failed.value.errno))
        assert not (tmp_path / f'out{workers}').exists()  # nothing half-written is left
    assert errors[0] == errors[1]


def _coco_doc(kind: str) -> dict[str, Any]:
    images = [{'id': i, 'file_name': f'img_{i}.jpg', 'width': 40, 'height': 30} for i in range(1, 401)]
    anns: list[Any] = []
    for i in range(1, 401):
        if i % 37 == 0:
            continue  # an image without annotations
        for k in range(i % 4 + 1):
            anns.append({'image_id': i, 'category_id': 1 + k % 2, 'bbox': [1 + k, 2, 5, 4], 'iscrowd': 0})
    anns[10]['image_id'] = '11'  # not an integer: reported where it stands
    anns[20]['image_id'] = 9999  # no such image: reported with the orphans
    for ann in anns[::9]:
        ann['bbox'] = [35, 2, 20, 4]  # outside the image: clipped, reported (the report is dense)
    for ann in anns[5::97]:
        ann['category_id'] = 99  # reported by its index in the file: the indexes must hold
    anns.insert(40, 'not an object')
    if kind == 'shuffled':  # annotations wait for their images, and spill to disk
        random.Random(7).shuffle(anns)
    if kind == 'long ints':  # 19 digits: orjson is not trusted with the file, ijson reads it
        anns[50]['id'] = 10**18 + 1
    for n, ann in enumerate(anns):
        if isinstance(ann, dict):
            ann['id'] = ann.get('id', n + 1)
    return {'images': images, 'annotations': anns, 'categories': [{'id': 1, 'name': 'car'}, {'id': 2, 'name': 'bus'}]}


@pytest.mark.parametrize('kind', ['sorted', 'shuffled', 'long ints'])
def test_coco_parsed_on_the_workers_is_as_on_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # with workers=2 the annotation file itself is parsed on the workers, piece by piece
    from synapse_sdk.utils.converters import _coco_stream

    monkeypatch.setattr(_coco_stream, 'PIECE', 2048)
    monkeypatch.setattr(_coco_stream, 'BUFFERED', 64)
    root = tmp_path / 'coco'
    root.mkdir()
    (root / 'annotations.json').write_text(json.dumps(_coco_doc(kind)))
    one = get_converter('coco', 'yolo', root_dir=root, images='none').save_to_folder(tmp_path / '1')
    many = get_converter('coco', 'yolo', root_dir=root, images='none', workers=2).save_to_folder(tmp_path / '2')
    _same(one, many, tmp_path / '1', tmp_path / '2')
    reasons = [entry.reason for entry in one.report.entries]
    assert any('integer "image_id"' in reason for reason in reasons)
    assert any('unknown image id 9999' in reason for reason in reasons)
    assert sum('unknown category id 99' in reason for reason in reasons) > 5
    assert one.total_images == 400


def test_files_waiting_for_a_slow_disk_stay_a_few_batches() -> None:
    # the main process writes the workers' files on a thread; when the disk is slower than the
    # workers, the batches wait in the workers (memory flat), not in a growing queue
    from synapse_sdk.utils.converters import _parallel

    waiting: list[int] = []
    written: list[str] = []

    class SlowDisk:
        def write_files(self, files: list[tuple[str, bytes]]) -> None:
            waiting.append(thread._queue.qsize())
            time.sleep(0.005)
            written.extend(name for name, _ in files)

    thread = _parallel._FileWriter(SlowDisk())  # type: ignore[arg-type]
    for batch in range(40):
        thread.write([(f'{batch}-{n}.txt', b'x') for n in range(3)])
    thread.close()
    assert written == [f'{batch}-{n}.txt' for batch in range(40) for n in range(3)]  # all, in order
    assert max(waiting) <= _parallel.QUEUED_BATCHES
