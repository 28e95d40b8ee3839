"""A misspelled params key is an error that names the closest valid key, never a silent default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.errors import ParamsValidationError
from synapse_sdk.plugins.runner import run_plugin

REPO = Path(__file__).resolve().parents[2]


class TrainParams(BaseModel):
    epochs: int = 10
    batch_size: int = Field(default=8, alias='batchSize')


class TrainAction(BaseAction[TrainParams]):
    action_name = 'train'

    def execute(self) -> dict[str, int]:
        return {'epochs': self.params.epochs}


class OpenParams(BaseModel):
    model_config = ConfigDict(extra='allow')
    epochs: int = 10


class OpenAction(BaseAction[OpenParams]):
    action_name = 'open'

    def execute(self) -> dict[str, object]:
        return {'extra': dict(self.params.model_extra or {})}


def test_misspelled_key_names_the_closest_and_lists_the_valid_ones() -> None:
    with pytest.raises(ParamsValidationError) as info:
        run_plugin('p', 'train', {'epoch': 2}, action_cls=TrainAction)
    message = str(info.value)
    assert "epoch: unknown key (did you mean 'epochs'?)" in message
    assert 'valid keys: batchSize, batch_size, epochs' in message
    assert info.value.errors[0]['type'] == 'extra_forbidden'


def test_unknown_keys_are_listed_with_the_model_errors() -> None:
    with pytest.raises(ParamsValidationError) as info:
        run_plugin('p', 'train', {'epochs': 'many', 'zzz': 1}, action_cls=TrainAction)
    locs = sorted(tuple(e['loc']) for e in info.value.errors)
    assert locs == [('epochs',), ('zzz',)]


def test_aliases_and_right_keys_still_run() -> None:
    assert run_plugin('p', 'train', {'epochs': 3, 'batchSize': 2}, action_cls=TrainAction) == {'epochs': 3}


def test_a_model_that_allows_extra_keys_keeps_them() -> None:
    assert run_plugin('p', 'open', {'epoch': 2}, action_cls=OpenAction) == {'extra': {'epoch': 2}}


def test_cli_prints_one_clear_error_and_exits_non_zero() -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / 'synapse'),
            'plugin',
            'run',
            'train',
            '--path',
            str(REPO / 'examples/yolo_plugin'),
            '--params',
            json.dumps({'epoch': 2}),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "did you mean 'epochs'?" in result.stderr + result.stdout
    assert 'Traceback' not in result.stderr
