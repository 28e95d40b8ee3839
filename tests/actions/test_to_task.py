from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins.errors import ParamsValidationError

PLUGIN = Path(__file__).resolve().parents[2] / 'examples' / 'to_task_plugin'


@pytest.fixture
def project(backend: LocalBackend, tmp_path: Path, dm_factory: Any) -> dict[str, Any]:
    """Three images with a 'labels' file each (the second one broken), no annotations."""
    root = dm_factory(tmp_path / 'raw', 3)
    for path in (root / 'json').iterdir():
        path.unlink()
    (root / 'json').rmdir()
    (root / 'labels').mkdir()
    for i in range(3):
        text = '{broken' if i == 1 else json.dumps({'boxes': [[1, 2, 3, 4, 'car'], [0, 0, 2, 2, 'dog']]})
        (root / 'labels' / f'img_{i:03d}.json').write_text(text)
    dataset = backend.register_dataset('raw', root)
    return backend.create_project('pre', dataset['id'])


def test_from_files_writes_dm_v2_and_counts_failures(run: Any, backend: LocalBackend, project: dict[str, Any]) -> None:
    result = run(
        'to_task_plugin', 'to_task', {'project': project['id'], 'method': 'file', 'target_specification_name': 'labels'}
    )
    assert result['status'] == 'partially_failed'
    assert (result['total_tasks'], result['success_count'], result['failed_count']) == (3, 2, 1)
    assert 'JSONDecodeError' in result['failures'][0]['error']
    tasks = list(backend.list_tasks({'project': project['id']}))
    assert [t['status'] for t in tasks] == ['submitted', 'pending', 'submitted']
    boxes = tasks[0]['data']['images'][0]['bounding_box']
    assert [(b['classification'], b['data']) for b in boxes] == [('car', [1, 2, 3, 4]), ('dog', [0, 0, 2, 2])]
    assert tasks[0]['data']['classification'] == {'bounding_box': ['car', 'dog']}
    assert run.progress('annotate_task_data')[-1] == 100
    assert 'TASK_ANNOTATION_FAILED' in run.codes()


def test_from_inference_runs_the_pre_processor_plugin(run: Any, backend: LocalBackend, project: dict[str, Any]) -> None:
    result = run(
        'to_task_plugin',
        'to_task',
        {
            'project': project['id'],
            'method': 'inference',
            'pre_processor': str(PLUGIN),
            'pre_processor_params': {'label': 'thing'},
        },
    )
    assert result['status'] == 'succeeded' and result['success_count'] == 3
    for task in backend.list_tasks({'project': project['id']}):
        assert task['data']['images'][0]['bounding_box'][0]['data'] == [0, 0, 8, 6]
        assert task['data']['images'][0]['bounding_box'][0]['classification'] == 'thing'


def test_missing_specification_is_reported_per_task(run: Any, project: dict[str, Any]) -> None:
    result = run(
        'to_task_plugin', 'to_task', {'project': project['id'], 'method': 'file', 'target_specification_name': 'nope'}
    )
    assert result['status'] == 'failed' and 'it has: labels, original_files' in result['failures'][0]['error']


def test_method_needs_its_parameters(run: Any, project: dict[str, Any]) -> None:
    with pytest.raises(ParamsValidationError, match='target_specification_name'):
        run('to_task_plugin', 'to_task', {'project': project['id'], 'method': 'file'})
