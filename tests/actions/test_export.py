from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend


@pytest.fixture
def project(backend: LocalBackend, dm_dataset: Path) -> dict[str, Any]:
    """A project of 4 tasks: 3 submitted with annotations, 1 left as a draft."""
    project = backend.create_project('review', backend.register_dataset('cars', dm_dataset)['id'])
    tasks = list(backend.list_tasks({'project': project['id']}))
    for task in tasks[:3]:
        backend.annotate_task_data(task['id'], {'action': 'submit', 'data': task['data_unit']['data']})
    backend.annotate_task_data(tasks[3]['id'], {'action': 'save', 'data': {'images': []}})
    return project


def test_exports_submitted_tasks_as_dm_to_a_folder(
    run: Any, project: dict[str, Any], dm_dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / 'out'
    result = run('export_plugin', 'export', {'filter': {'project': project['id']}, 'path': str(out)})
    assert result['exported'] == 3 and result['format'] == 'dm_v2' and result['files'] == 6
    names = sorted(p.name for p in (out / 'json').iterdir())
    assert names == ['img_000.json', 'img_001.json', 'img_002.json']
    assert json.loads((out / 'json' / 'img_001.json').read_text()) == json.loads(
        (dm_dataset / 'json' / 'img_001.json').read_text()
    )
    assert (out / 'original_files' / 'img_002.png').read_bytes() == (
        dm_dataset / 'original_files' / 'img_002.png'
    ).read_bytes()
    assert 100 in run.progress('dataset_conversion')
    assert 'EXPORT_COMPLETED' in run.codes()


def test_exports_into_a_storage_provider(run: Any, project: dict[str, Any], tmp_path: Path) -> None:
    storage = {'provider': 'local', 'configuration': {'location': str(tmp_path / 'bucket')}}
    result = run(
        'export_plugin',
        'export',
        {'filter': {'project': project['id']}, 'storage': storage, 'path': 'exports/run1', 'save_original_file': False},
    )
    files = sorted(
        p.relative_to(tmp_path / 'bucket').as_posix() for p in (tmp_path / 'bucket').rglob('*') if p.is_file()
    )
    assert files == [f'exports/run1/json/img_00{i}.json' for i in range(3)]
    assert result['files'] == 3


def test_ground_truth_target_exports_a_whole_dataset(
    run: Any, backend: LocalBackend, dm_dataset: Path, tmp_path: Path
) -> None:
    dataset = backend.register_dataset('gt', dm_dataset)
    result = run(
        'export_plugin',
        'export',
        {'target': 'ground_truth', 'filter': {'dataset': dataset['id']}, 'path': str(tmp_path / 'gt')},
    )
    assert result['exported'] == 4


@pytest.mark.parametrize('fmt', ['yolo', 'coco'])
def test_exports_to_other_formats_when_converters_are_installed(
    run: Any, project: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    converters = pytest.importorskip('synapse_sdk.utils.converters')
    if not hasattr(converters, 'get_converter'):
        pytest.skip('synapse-sdk-converters (issue 5) is not merged yet')
    out = tmp_path / fmt
    result = run('export_plugin', 'export', {'filter': {'project': project['id']}, 'format': fmt, 'path': str(out)})
    assert result['format'] == fmt and result['files'] > 0
