"""The category examples run unchanged as Ray actor tasks and Ray jobs against the embedded backend.

Workers reach the same LocalBackend through ``SYNAPSE_HOME`` in the run's environment (SQLite in
WAL mode is safe for the driver and the workers writing at once). The Ray head is the session's
(``tests/ray/conftest.py``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.local import LocalBackend
from synapse_sdk.plugins.runner import run_plugin

pytestmark = pytest.mark.ray
EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


@pytest.fixture
def home(tmp_path: Path, dm_factory: Any) -> tuple[Path, LocalBackend, int]:
    backend = LocalBackend(tmp_path / 'home' / 'local')
    dataset = backend.register_dataset('cars', dm_factory(tmp_path / 'dm', 3))
    return tmp_path / 'home', backend, int(dataset['id'])


def test_train_example_in_task_mode(ray_head: Any, home: tuple[Path, LocalBackend, int]) -> None:
    root, backend, dataset = home
    result = run_plugin(
        str(EXAMPLES / 'train_plugin'),
        'train',
        {'dataset': dataset, 'epochs': 1},
        mode='task',
        address=ray_head.address,
        env={'SYNAPSE_HOME': str(root)},
        sinks=[],
    )
    model = backend.get_model(result['model_id'])
    assert model['file']['checksum'] == result['checksum'] and result['items'] == 3


def test_upload_example_in_job_mode(ray_head: Any, home: tuple[Path, LocalBackend, int], tmp_path: Path) -> None:
    root, backend, _ = home
    jobs = importlib.import_module('synapse_sdk.plugins.executors.ray.jobs_api')
    job_id = run_plugin(
        str(EXAMPLES / 'upload_plugin'),
        'upload',
        {'path': str(tmp_path / 'dm'), 'dataset': 'uploaded'},
        mode='job',
        dashboard_address=ray_head.dashboard_address,
        env={'SYNAPSE_HOME': str(root)},
    )
    result = jobs.RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address).wait(job_id)
    assert result['data_units'] == 3 and backend.get_dataset('uploaded')['count'] == 3
