"""Every example of the seed's Plugin Utils, Plugin Types, API Reference and i18n sections, as written."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel


def test_plugin_utils_v2_imports_and_get_action_method(example_plugin: Path) -> None:
    from synapse_sdk.plugins.utils import get_action_method, get_plugin_actions, read_requirements

    config = {'actions': {'train': {'method': 'job'}, 'export': {}}}
    action = 'train'
    action_method = get_action_method(config, action)
    assert action_method == 'job'
    assert get_plugin_actions(config) == ['train', 'export']
    assert read_requirements(example_plugin / 'nope.txt') is None


def test_plugin_types_imports() -> None:
    from synapse_sdk.plugins.enums import PluginCategory, RunMethod

    assert PluginCategory('neural_net') is PluginCategory.NEURAL_NET and str(PluginCategory.NEURAL_NET) == 'neural_net'
    assert {m.value for m in RunMethod} == {'job', 'task', 'serve', 'restapi'}
    assert [c.value for c in PluginCategory] == [
        'neural_net',
        'export',
        'upload',
        'smart_tool',
        'post_annotation',
        'pre_annotation',
        'data_validation',
        'custom',
    ]


def test_get_plugin_actions_from_dict_config_and_path(example_plugin: Path) -> None:
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.utils import get_plugin_actions

    actions = get_plugin_actions({'actions': {'train': {}, 'export': {}}})
    assert actions == ['train', 'export']
    plugin_config = PluginDiscovery.from_path(example_plugin).config
    assert get_plugin_actions(plugin_config) == ['train', 'infer', 'export']
    assert get_plugin_actions(str(example_plugin)) == ['train', 'infer', 'export']
    assert get_plugin_actions(example_plugin / 'config.yaml') == ['train', 'infer', 'export']


def test_get_action_method_branches(example_plugin: Path) -> None:
    from synapse_sdk.plugins.enums import RunMethod
    from synapse_sdk.plugins.utils import get_action_method

    config = load_config(example_plugin)
    method = get_action_method(config, 'train')
    assert method == RunMethod.JOB
    assert get_action_method(config, 'infer') == RunMethod.TASK


def load_config(path: Path):
    from synapse_sdk.plugins.discovery import PluginDiscovery

    return PluginDiscovery.from_path(path).config


def test_get_action_config(example_plugin: Path) -> None:
    from synapse_sdk.plugins.utils import get_action_config

    plugin_config = load_config(example_plugin)
    config = get_action_config(plugin_config, 'train')
    assert config['name'] == 'train'
    assert config['method'] == 'job'
    assert config['entrypoint'] == 'plugin.train.TrainAction'
    raw = get_action_config({'actions': {'train': {'method': 'job', 'entrypoint': 'a.b.C'}}}, 'train')
    assert raw == {'name': 'train', 'method': 'job', 'entrypoint': 'a.b.C'}


def test_read_requirements(tmp_path: Path) -> None:
    from synapse_sdk.plugins.utils import read_requirements

    (tmp_path / 'requirements.txt').write_text('numpy>=1.20\ntorch>=2.0\n')
    reqs = read_requirements(tmp_path / 'requirements.txt')
    assert reqs == ['numpy>=1.20', 'torch>=2.0']
    assert read_requirements(tmp_path / 'missing.txt') is None


def test_run_plugin_from_module_path(module_plugin: str) -> None:
    from synapse_sdk.plugins.runner import run_plugin

    result = run_plugin('plugins.yolov8', 'train', {'epochs': 10}, sinks=[])
    assert result == {'accuracy': 0.95, 'epochs': 10}
    assert run_plugin('plugins.yolov8', 'train', {'epochs': 20}, sinks=[]) == {'accuracy': 0.95, 'epochs': 20}
    assert run_plugin('plugins.yolov8', 'infer', {'x': 3}, sinks=[]) == {'predictions': [3]}
    assert run_plugin('plugins.yolov8', 'evaluate', {}, sinks=[]) == {'split': 'valid'}


def test_run_plugin_from_config_path(example_plugin: Path) -> None:
    from synapse_sdk.plugins.runner import run_plugin

    result = run_plugin(str(example_plugin), 'train', {'epochs': 20}, sinks=[])
    assert result['epochs'] == 20
    assert run_plugin(example_plugin, 'train', {'epochs': 2}, mode='local', sinks=[])['epochs'] == 2


def test_run_plugin_with_explicit_action_class() -> None:
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.runner import run_plugin

    class TrainParams(BaseModel):
        epochs: int = 10

    class TrainAction(BaseAction[TrainParams]):
        action_name = 'train'
        params_model = TrainParams

        def execute(self):
            assert isinstance(self.params, TrainParams)
            assert self.ctx.job_id is None
            return {'accuracy': 0.95, 'epochs': self.params.epochs}

    result = run_plugin('yolov8', 'train', {'epochs': 10}, action_cls=TrainAction, sinks=[])
    assert result == {'accuracy': 0.95, 'epochs': 10}


def test_plugin_discovery_api(example_plugin: Path, imported_module_plugin: ModuleType) -> None:
    from synapse_sdk.plugins._config import ActionConfig
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.enums import RunMethod

    discovery = PluginDiscovery.from_path(str(example_plugin))
    assert discovery.list_actions() == ['train', 'infer', 'export']
    assert discovery.has_action('train') is True
    assert discovery.has_action('nope') is False
    assert discovery.get_action_method('train') == RunMethod.JOB
    assert isinstance(discovery.get_action_config('train'), ActionConfig)
    assert discovery.get_action_class('train').__name__ == 'TrainAction'
    assert discovery.get_action_class('infer').__name__ == 'InferAction'  # colon notation
    assert discovery.get_action_class('export').__name__ == 'export_model'  # function action

    my_module = imported_module_plugin
    discovery = PluginDiscovery.from_module(my_module)
    assert sorted(discovery.list_actions()) == ['evaluate', 'infer', 'train']
    assert discovery.get_action_method('train') == RunMethod.TASK


def test_seed_config_yaml_option3_loads_without_data_type(tmp_path: Path) -> None:
    from synapse_sdk.plugins.discovery import PluginDiscovery

    (tmp_path / 'config.yaml').write_text(
        'name: YOLOv8 Plugin\ncode: yolov8\nversion: 1.0.0\ncategory: neural_net\n'
        'description: YOLOv8 object detection plugin\n\nactions:\n  train:\n'
        '    entrypoint: plugin.train.TrainAction   # or plugin.train:TrainAction\n    method: job\n'
        '    description: Train YOLOv8 model\n\n  infer:\n    entrypoint: plugin.inference.InferAction\n'
        '    method: task\n    description: Run inference\n\n  export:\n'
        '    entrypoint: plugin.export.export_model\n    method: task\n'
    )
    discovery = PluginDiscovery.from_path(tmp_path)
    assert discovery.list_actions() == ['train', 'infer', 'export']
    assert discovery.config.category == 'neural_net' and discovery.config.data_type is None


def test_executors_local_with_korean(capsys: pytest.CaptureFixture[str], example_plugin: Path) -> None:
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.executors.local import LocalExecutor

    TrainAction = PluginDiscovery.from_path(example_plugin).get_action_class('train')
    executor = LocalExecutor(env={'DEBUG': 'true'}, language='ko')
    result = executor.execute(TrainAction, {'epochs': 10})
    assert result['epochs'] == 10
    err = capsys.readouterr().err
    assert '학습을 시작합니다' in err and '플러그인 실행이 완료되었습니다.' in err
    assert 'Plugin run is complete.' not in err


def test_i18n_custom_message_in_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    from synapse_sdk.i18n import LocalizedMessage, LogLevel, LogMessageCode
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.executors.local import LocalExecutor

    msg = LocalizedMessage({'en': 'Processing {count} files', 'ko': '{count}개의 파일을 처리 중'})

    class Action(BaseAction[BaseModel]):
        action_name = 'i18n'

        def execute(self):
            self.ctx.log_message(msg, count=5)
            self.ctx.log_message(
                LogMessageCode.CUSTOM_MESSAGE,
                message={'en': 'Custom message', 'ko': '사용자 정의 메시지'},
                level=LogLevel.INFO,
            )
            return None

    LocalExecutor(language='ko').execute(Action, {})
    err = capsys.readouterr().err
    assert '5개의 파일을 처리 중' in err and '사용자 정의 메시지' in err
    LocalExecutor(language='en').execute(Action, {})
    err = capsys.readouterr().err
    assert 'Processing 5 files' in err and 'Custom message' in err
