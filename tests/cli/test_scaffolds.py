"""``synapse plugin create --category X`` writes the category's base class as an example that runs."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synapse_sdk.plugins import BaseExportAction, BaseTrainAction, BaseUploadAction, ToTaskAction
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.enums import PluginCategory

REPO = Path(__file__).resolve().parents[2]
SYNAPSE = Path(sys.executable).parent / 'synapse'
BASES: dict[str, tuple[str, type[BaseAction]]] = {  # type: ignore[type-arg]
    'neural_net': ('train', BaseTrainAction),
    'export': ('export', BaseExportAction),
    'upload': ('upload', BaseUploadAction),
    'pre_annotation': ('to_task', ToTaskAction),
}


def synapse(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}
    env.update({'SYNAPSE_HOME': str(home), 'NO_COLOR': '1'})
    return subprocess.run([str(SYNAPSE), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def action_class(root: Path, action: str) -> type:
    spec = importlib.util.spec_from_file_location(f'scaffold_{root.name}_{action}', root / 'plugin' / f'{action}.py')
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, ''.join(p.capitalize() for p in action.split('_')) + 'Action')  # type: ignore[no-any-return]


def test_help_lists_every_category(tmp_path: Path) -> None:
    done = synapse(tmp_path, 'plugin', 'create', '--help')
    assert done.returncode == 0
    assert all(category.value in done.stdout for category in PluginCategory)


@pytest.mark.parametrize('category', sorted(BASES))
def test_each_category_subclasses_its_base(category: str, tmp_path: Path) -> None:
    root = tmp_path / category
    assert (
        synapse(
            tmp_path / 'home', 'plugin', 'create', '--path', str(root), '--name', 'My', '--category', category
        ).returncode
        == 0
    )
    action, base = BASES[category]
    assert issubclass(action_class(root, action), base)
    assert synapse(tmp_path / 'home', 'plugin', 'list', cwd=root).returncode == 0


def test_the_train_scaffold_runs_as_written_and_registers_a_model(tmp_path: Path) -> None:
    home, root = tmp_path / 'home', tmp_path / 'nn'
    synapse(home, 'plugin', 'create', '--path', str(root), '--name', 'My Model', '--category', 'neural_net')
    readme = (root / 'README.md').read_text()
    assert """synapse plugin run train --params '{"epochs": 3}'""" in readme
    done = synapse(home, 'plugin', 'run', 'train', '--params', '{"epochs": 3}', cwd=root)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result['classes'] == 2
    models = synapse(home, 'model', 'list')
    assert 'my-model-model' in models.stdout


def test_the_export_and_upload_scaffolds_run_on_registered_data(tmp_path: Path) -> None:
    home = tmp_path / 'home'
    assert synapse(home, 'dataset', 'register', 'my-data', str(REPO / 'examples/data/cars_dm')).returncode == 0
    export, upload = tmp_path / 'export', tmp_path / 'upload'
    synapse(home, 'plugin', 'create', '--path', str(export), '--name', 'Ex', '--category', 'export')
    synapse(home, 'plugin', 'create', '--path', str(upload), '--name', 'Up', '--category', 'upload')
    params = {'target': 'ground_truth', 'filter': {'dataset': 'my-data'}, 'format': 'coco', 'path': 'exports/coco'}
    done = synapse(home, 'plugin', 'run', 'export', '--params', json.dumps(params), cwd=export)
    assert done.returncode == 0, done.stderr
    params = {'path': str(REPO / 'examples/data/cars_raw'), 'dataset': 'my-uploads'}
    done = synapse(home, 'plugin', 'run', 'upload', '--params', json.dumps(params), cwd=upload)
    assert done.returncode == 0, done.stderr
