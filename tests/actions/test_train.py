from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.core.errors import ConfigError
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.plugins.actions._train import BaseTrainAction
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.plugins.executors.local import LocalExecutor


def test_example_registers_a_model_whose_file_downloads_intact(
    run: Any, backend: LocalBackend, dm_dataset: Path, tmp_path: Path
) -> None:
    dataset = backend.register_dataset('cars', dm_dataset)
    result = run('train_plugin', 'train', {'dataset': dataset['id'], 'epochs': 2, 'name': 'counter'})
    model = backend.get_model(result['model_id'])
    assert model['name'] == 'counter' and model['meta'] == {'epochs': 2} and result['items'] == 4
    copy = backend.download_model(model['id'], tmp_path / 'weights.json')
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == result['checksum'] == model['file']['checksum']
    assert json.loads(copy.read_text())['class_counts'] == {'car': 2, 'person': 2}
    assert 100 in run.progress('dataset') and 100 in run.progress('train')
    assert run.progress('model_upload') == [0, 100, 100]
    assert 'MODEL_UPLOAD_COMPLETED' in run.codes()


class Params(BaseModel):
    dataset: int | str


class Probe(BaseTrainAction[Params]):
    action_name = 'probe'

    def execute(self) -> dict[str, Any]:
        info = self.get_dataset()
        files = sorted(p.relative_to(info.path).as_posix() for p in info.path.rglob('*') if p.is_file())
        return {'path': str(info.path), 'files': files, 'count': info.count, 'categorized': info.is_categorized}


def test_dataset_without_local_folder_is_downloaded_into_dm_layout(
    backend: LocalBackend, tmp_path: Path, dm_factory: Any
) -> None:
    source = dm_factory(tmp_path / 'src', 2, splits=('train', 'valid'))
    backend.create_dataset('remote-like')
    units = []
    for unit in backend.register_dataset('tmp', source)['id'] and backend.list_data_units('tmp'):
        image = Path(unit['files']['original_files']['url'][len('file://') :])
        url = backend.upload_file(image, f'data/{image.name}')
        units.append(
            {
                'name': unit['name'],
                'split': unit['split'],
                'data': unit['data'],
                'files': {'image_1': {'url': url, 'name': image.name, 'is_primary': True}},
            }
        )
    backend.create_data_units('remote-like', units)
    result = LocalExecutor(client=backend, sinks=[MemorySink()]).execute(Probe, {'dataset': 'remote-like'})
    assert result['count'] == 4 and result['categorized'] is True
    assert 'train/json/train_000.json' in result['files'] and 'valid/original_files/valid_001.png' in result['files']
    assert not Path(result['path']).exists(), 'temporary dataset folders are removed after the run'


def test_missing_dataset_param_is_a_clear_error(backend: LocalBackend) -> None:
    class NoDataset(BaseTrainAction[BaseModel]):
        action_name = 'x'

        def execute(self) -> Any:
            return self.get_dataset()

    with pytest.raises(ExecutionError) as caught:
        LocalExecutor(client=backend, sinks=[MemorySink()]).execute(NoDataset, {})
    assert isinstance(caught.value.__cause__, ConfigError)
    assert 'dataset' in str(caught.value.__cause__)


def test_get_model_downloads_and_checkpoint_extracts(backend: LocalBackend, tmp_path: Path) -> None:
    folder = tmp_path / 'ckpt'
    folder.mkdir()
    (folder / 'last.pt').write_bytes(b'w')
    model = backend.create_model(folder, name='base', category='yolo')

    class CkptParams(BaseModel):
        checkpoint: int

    class Resume(BaseTrainAction[CkptParams]):
        action_name = 'resume'

        def execute(self) -> dict[str, Any]:
            ckpt = self.get_checkpoint()
            assert ckpt is not None
            return {'files': sorted(p.name for p in Path(ckpt['path']).iterdir()), 'category': ckpt['category']}

    result = LocalExecutor(client=backend, sinks=[MemorySink()]).execute(Resume, {'checkpoint': model['id']})
    assert result == {'files': ['last.pt'], 'category': 'yolo'}


def test_converted_dataset_when_converters_are_installed(run: Any, backend: LocalBackend, dm_dataset: Path) -> None:
    converters = pytest.importorskip('synapse_sdk.utils.converters')
    if not hasattr(converters, 'get_converter'):
        pytest.skip('synapse-sdk-converters (issue 5) is not merged yet')
    dataset = backend.register_dataset('cars', dm_dataset)
    result = run('train_plugin', 'train', {'dataset': dataset['id'], 'format': 'yolo'})
    assert backend.get_model(result['model_id'])
