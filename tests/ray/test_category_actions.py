"""The category examples run unchanged as Ray actor tasks and Ray jobs against the embedded backend.

Workers reach the same LocalBackend through ``SYNAPSE_HOME`` in the run's environment (SQLite in
WAL mode is safe for the driver and the workers writing at once). The Ray head is the session's
(``tests/ray/conftest.py``).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins.runner import run_plugin

pytestmark = pytest.mark.ray
EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


@pytest.fixture
def home(tmp_path: Path, dm_factory: Any) -> tuple[Path, LocalBackend, int]:
    backend = LocalBackend(tmp_path / 'home' / 'local')
    dataset = backend.register_dataset('cars', dm_factory(tmp_path / 'dm', 3))
    return tmp_path / 'home', backend, int(dataset['id'])


@pytest.mark.parametrize('mode', ['task', 'job'])
def test_train_example_on_ray(ray_head: Any, home: tuple[Path, LocalBackend, int], mode: str) -> None:
    root, backend, dataset = home
    result = _run_on_ray(ray_head, mode, 'train_plugin', 'train', {'dataset': dataset, 'epochs': 1}, root)
    model = backend.get_model(result['model_id'])
    assert model['file']['checksum'] == result['checksum'] and result['items'] == 3


@pytest.mark.parametrize('mode', ['task', 'job'])
def test_upload_example_on_ray(ray_head: Any, home: tuple[Path, LocalBackend, int], tmp_path: Path, mode: str) -> None:
    root, backend, _ = home
    params = {'path': str(tmp_path / 'dm'), 'dataset': f'uploaded-{mode}'}
    result = _run_on_ray(ray_head, mode, 'upload_plugin', 'upload', params, root)
    assert result['data_units'] == 3 and backend.get_dataset(f'uploaded-{mode}')['count'] == 3


def _run_on_ray(ray_head: Any, mode: str, plugin: str, action: str, params: dict[str, Any], home_root: Path) -> Any:
    """Run an example in ``mode`` on the session head and return its result (jobs: waited for)."""
    env = {'SYNAPSE_HOME': str(home_root)}
    if mode == 'task':
        return run_plugin(
            str(EXAMPLES / plugin), action, params, mode='task', address=ray_head.address, env=env, sinks=[]
        )
    jobs = importlib.import_module('synapse_sdk.plugins.executors.ray.jobs_api')
    job_id = run_plugin(
        str(EXAMPLES / plugin), action, params, mode='job', dashboard_address=ray_head.dashboard_address, env=env
    )
    return jobs.RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address).wait(job_id)


@pytest.mark.parametrize('mode', ['task', 'job'])
def test_export_example_on_ray(ray_head: Any, home: tuple[Path, LocalBackend, int], tmp_path: Path, mode: str) -> None:
    root, _, dataset = home
    out = tmp_path / f'export-{mode}'
    params = {'target': 'ground_truth', 'filter': {'dataset': dataset}, 'path': str(out)}
    result = _run_on_ray(ray_head, mode, 'export_plugin', 'export', params, root)
    assert result['exported'] == 3 and result['format'] == 'dm_v2'
    assert sorted(p.name for p in (out / 'json').iterdir()) == ['img_000.json', 'img_001.json', 'img_002.json']


@pytest.mark.parametrize('mode', ['task', 'job'])
def test_to_task_example_on_ray(ray_head: Any, tmp_path: Path, dm_factory: Any, mode: str) -> None:
    backend = LocalBackend(tmp_path / 'home' / 'local')
    raw = dm_factory(tmp_path / 'raw', 2)
    for path in (raw / 'json').iterdir():
        path.unlink()
    (raw / 'json').rmdir()
    (raw / 'labels').mkdir()
    for i in range(2):
        (raw / 'labels' / f'img_{i:03d}.json').write_text(json.dumps({'boxes': [[1, 2, 3, 4, 'car']]}))
    project = backend.create_project('pre', backend.register_dataset('raw', raw)['id'])
    params = {'project': project['id'], 'method': 'file', 'target_specification_name': 'labels'}
    result = _run_on_ray(ray_head, mode, 'to_task_plugin', 'to_task', params, tmp_path / 'home')
    assert (result['total_tasks'], result['success_count'], result['failed_count']) == (2, 2, 0)
    tasks = list(backend.list_tasks({'project': project['id']}))
    assert [t['status'] for t in tasks] == ['submitted', 'submitted']
    assert tasks[0]['data']['images'][0]['bounding_box'][0]['classification'] == 'car'
