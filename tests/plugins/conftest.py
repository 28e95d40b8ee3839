from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PLUGIN = REPO / 'examples' / 'yolo_plugin'

SEED_MODULE = """
from synapse_sdk.plugins.decorators import action
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins import BaseAction as ReExportedBase
from pydantic import BaseModel

class TrainParams(BaseModel):
    epochs: int = 10
    batch_size: int = 32

@action(name='train', description='Train YOLOv8 model', params=TrainParams)
def train(params: TrainParams, ctx):
    # Training logic here
    return {'accuracy': 0.95, 'epochs': params.epochs}

@action(name='infer')
def infer(params, ctx):
    return {'predictions': [params.get('x', 0)]}

class EvalParams(BaseModel):
    split: str = 'valid'

class EvalAction(BaseAction[EvalParams]):
    action_name = 'evaluate'

    def execute(self):
        return {'split': self.params.split}

class Unnamed(BaseAction[EvalParams]):
    def execute(self):
        return {}
"""


@pytest.fixture
def example_plugin() -> Path:
    return EXAMPLE_PLUGIN


@pytest.fixture
def module_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The seed's ``plugins/yolov8.py`` in a fresh folder that is the current directory."""
    package = tmp_path / 'plugins'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'yolov8.py').write_text(textwrap.dedent(SEED_MODULE))
    monkeypatch.chdir(tmp_path)
    before = set(sys.modules)
    yield 'plugins.yolov8'
    for name in set(sys.modules) - before:
        if name == 'plugins' or name.startswith('plugins.'):
            del sys.modules[name]


def write_plugin(root: Path, package: str, body: str, config: str) -> Path:
    (root / package).mkdir(parents=True, exist_ok=True)
    (root / package / '__init__.py').write_text('')
    (root / package / 'actions.py').write_text(textwrap.dedent(body))
    (root / 'config.yaml').write_text(textwrap.dedent(config))
    return root


@pytest.fixture
def make_plugin() -> object:
    """``make_plugin(root, package, actions_py, config_yaml)`` writes a plugin folder."""
    return write_plugin


@pytest.fixture
def imported_module_plugin(module_plugin: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """The seed module, imported as a user script in that folder would import it."""
    import importlib

    monkeypatch.syspath_prepend(str(Path.cwd()))
    return importlib.import_module(module_plugin)
