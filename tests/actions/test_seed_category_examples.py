"""The seed document's category examples, as written, run against the embedded local backend."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.plugins.runner import run_plugin

SEED_TRAIN = """
from synapse_sdk.plugins import BaseTrainAction
from pydantic import BaseModel

class TrainParams(BaseModel):
    dataset: int
    epochs: int = 10

class MyTrainAction(BaseTrainAction[TrainParams]):
    action_name = 'train'
    params_model = TrainParams

    def execute(self) -> dict:
        # Helper methods use self.client (from RuntimeContext)
        dataset = self.get_dataset()  # Uses params.dataset
        self.set_progress(1, 3, self.progress.DATASET)

        model_path = self._train(dataset)
        self.set_progress(2, 3, self.progress.TRAIN)

        model = self.create_model(model_path, name='my-model')
        self.set_progress(3, 3, self.progress.MODEL_UPLOAD)

        return {'model_id': model['id']}

    def _train(self, dataset):  # the plugin author's own code
        out = self.temp_dir() / 'model.txt'
        out.write_text(f'trained on {dataset.count} items')
        return out
"""

SEED_EXPORT = """
from typing import Any

from synapse_sdk.plugins import BaseExportAction
from pydantic import BaseModel

class ExportParams(BaseModel):
    filter: dict
    output_path: str

class MyExportAction(BaseExportAction[ExportParams]):
    action_name = 'export'
    params_model = ExportParams

    def get_filtered_results(self, filters: dict) -> tuple[Any, int]:
        # Override for your target type
        return self.client.get_assignments(filters)

    def execute(self) -> dict:
        results, count = self.get_filtered_results(self.params.filter)
        self.set_progress(0, count, self.progress.DATASET_CONVERSION)

        for i, item in enumerate(results, 1):
            # Process and export item
            self.set_progress(i, count, self.progress.DATASET_CONVERSION)

        return {'exported': count}
"""

SEED_TO_TASK = """
from synapse_sdk.plugins.actions.to_task import ToTaskAction

class ToTask(ToTaskAction):
    action_name = 'to_task'

    def convert_data_from_file(self, *args, **kwargs):
        return {'images': [{'classification': [{'id': 'c1', 'classification': 'ok', 'attrs': [], 'data': {}}]}]}

    def convert_data_from_inference(self, *args, **kwargs):
        return {'images': []}
"""


@pytest.fixture
def seed_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    def write(name: str, code: str) -> str:
        (tmp_path / f'{name}.py').write_text(textwrap.dedent(code))
        return name

    monkeypatch.syspath_prepend(str(tmp_path))
    yield write
    for name in ('seed_train', 'seed_export', 'seed_to_task'):
        sys.modules.pop(name, None)


def test_seed_train_example(seed_module: Any, backend: LocalBackend, dm_dataset: Path) -> None:
    dataset = backend.register_dataset('cars', dm_dataset)
    module = seed_module('seed_train', SEED_TRAIN)
    result = run_plugin(module, 'train', {'dataset': dataset['id']}, client=backend, sinks=[MemorySink()])
    model = backend.get_model(result['model_id'])
    assert model['name'] == 'my-model'
    assert backend.download_model(model['id'], dm_dataset.parent / 'm.txt').read_text() == 'trained on 4 items'


def test_seed_export_example(seed_module: Any, backend: LocalBackend, dm_dataset: Path) -> None:
    project = backend.create_project('p', backend.register_dataset('cars', dm_dataset)['id'])
    for task in list(backend.list_tasks({'project': project['id']}))[:2]:
        backend.annotate_task_data(task['id'], {'action': 'submit', 'data': task['data_unit']['data']})
    module = seed_module('seed_export', SEED_EXPORT)
    sink = MemorySink()
    result = run_plugin(
        module, 'export', {'filter': {'project': project['id']}, 'output_path': '/tmp/x'}, client=backend, sinks=[sink]
    )
    assert result == {'exported': 2}
    assert [e.data['current'] for e in sink.events if e.kind == 'progress'] == [0, 1, 2]


def test_seed_to_task_import_path_and_subclass(seed_module: Any, backend: LocalBackend, dm_dataset: Path) -> None:
    project = backend.create_project('p', backend.register_dataset('cars', dm_dataset)['id'])
    module = seed_module('seed_to_task', SEED_TO_TASK)
    result = run_plugin(
        module,
        'to_task',
        {'project': project['id'], 'target_specification_name': 'json'},
        client=backend,
        sinks=[MemorySink()],
    )
    assert result['success_count'] == 4 and result['status'] == 'succeeded'
