"""One YOLO task per dataset: never a file that mixes box rows and polygon rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synapse_sdk.cli._main import app
from synapse_sdk.utils.converters import get_converter

BOX = {'id': 'b1', 'classification': 'car', 'attrs': [], 'data': [10, 5, 20, 10]}
POLY = {'id': 'p1', 'classification': 'road', 'attrs': [], 'data': [[0, 30], [40, 30], [20, 44]]}


def _dm(root: Path, image_file: Any, images: dict[str, dict[str, Any]]) -> Path:
    for stem, tools in images.items():
        (root / 'json').mkdir(parents=True, exist_ok=True)
        (root / 'json' / f'{stem}.json').write_text(json.dumps({'images': [tools]}))
        image_file(root / 'original_files' / f'{stem}.png', (64, 48))
    return root


def _row_lengths(out: Path) -> dict[str, set[int]]:
    return {p.stem: {len(r.split()) for r in p.read_text().splitlines()} for p in (out / 'labels').glob('*.txt')}


def test_auto_rewrites_box_files_written_before_the_first_polygon(tmp_path: Path, image_file: Any) -> None:
    # a1 (boxes only) is written before b1 brings the first polygon: a1 must become a segment file too
    root = _dm(tmp_path / 'dm', image_file, {'a1': {'bounding_box': [BOX]}, 'b1': {'polygon': [POLY]}})
    summary = get_converter('dm_v2', 'yolo', root_dir=root).save_to_folder(tmp_path / 'auto')
    assert (tmp_path / 'auto' / 'labels' / 'a1.txt').read_text() == (
        '0 0.156250 0.104167 0.468750 0.104167 0.468750 0.312500 0.156250 0.312500\n'
    )
    assert all(5 not in lengths for lengths in _row_lengths(tmp_path / 'auto').values())
    assert 'changed: boxes written as their four-corner polygons (task=segment) (x1)' in summary.report.reasons()
    assert 'task: segment' in (tmp_path / 'auto' / 'data.yaml').read_text()
    # the same rows as asking for segment at once
    get_converter('dm_v2', 'yolo', root_dir=root, task='segment').save_to_folder(tmp_path / 'segment')
    for label in (tmp_path / 'segment' / 'labels').iterdir():
        assert label.read_bytes() == (tmp_path / 'auto' / 'labels' / label.name).read_bytes()


def test_auto_without_polygons_is_detect_and_detect_writes_polygons_as_boxes(tmp_path: Path, image_file: Any) -> None:
    boxes = _dm(tmp_path / 'boxes', image_file, {'a1': {'bounding_box': [BOX]}})
    summary = get_converter('dm_v2', 'yolo', root_dir=boxes).save_to_folder(tmp_path / 'auto')
    assert _row_lengths(tmp_path / 'auto') == {'a1': {5}} and summary.report.entries == []
    mixed = _dm(tmp_path / 'mixed', image_file, {'a1': {'bounding_box': [BOX], 'polygon': [POLY]}})
    summary = get_converter('dm_v2', 'yolo', root_dir=mixed, task='detect').save_to_folder(tmp_path / 'detect')
    rows = (tmp_path / 'detect' / 'labels' / 'a1.txt').read_text().splitlines()
    assert rows == ['0 0.312500 0.208333 0.312500 0.208333', '1 0.312500 0.770833 0.625000 0.291667']
    assert summary.report.reasons() == {'changed: polygons written as their boxes (task=detect) (x1)': 1}


def test_pose_writes_plain_boxes_with_invisible_keypoints_and_reads_them_back_as_boxes(
    tmp_path: Path, image_file: Any
) -> None:
    kps = [{'id': f'k{i}', 'classification': f'kp{i}', 'attrs': [], 'data': [5 + i, 6 + i]} for i in range(2)]
    group = {'id': 'g1', 'classification': 'person', 'attrs': [], 'data': ['k0', 'k1']}
    root = _dm(tmp_path / 'dm', image_file, {'a1': {'keypoint': kps, 'group': [group], 'bounding_box': [BOX]}})
    get_converter('dm_v2', 'yolo', root_dir=root, task='pose').save_to_folder(tmp_path / 'pose')
    rows = (tmp_path / 'pose' / 'labels' / 'a1.txt').read_text().splitlines()
    assert {len(r.split()) for r in rows} == {5 + 2 * 3}  # every row a pose row with kpt_shape [2, 3]
    back = get_converter('yolo', 'dm_v2', root_dir=tmp_path / 'pose').save_to_folder(tmp_path / 'back')
    assert back.annotations == {'all': {'bbox': 1, 'keypoints': 1}}


def test_task_is_checked_and_the_cli_takes_it(tmp_path: Path, image_file: Any) -> None:
    root = _dm(tmp_path / 'dm', image_file, {'a1': {'bounding_box': [BOX], 'polygon': [POLY]}})
    with pytest.raises(ValueError, match='task must be one of'):
        get_converter('dm_v2', 'yolo', root_dir=root, task='segmentation')
    runner = CliRunner()
    done = runner.invoke(
        app,
        ['dataset', 'convert', '-f', 'dm_v2', '-t', 'yolo', '--task', 'detect', '-q', str(root), str(tmp_path / 'y')],
    )
    assert done.exit_code == 0, done.output
    assert _row_lengths(tmp_path / 'y') == {'a1': {5}}
    bad = runner.invoke(
        app, ['dataset', 'convert', '-f', 'dm_v2', '-t', 'yolo', '--task', 'obb', str(root), str(tmp_path / 'z')]
    )
    assert bad.exit_code != 0 and '--task' in bad.output
