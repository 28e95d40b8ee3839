from __future__ import annotations

from pathlib import Path

import pytest

from synapse_sdk.plugins._config import load_plugin_config
from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.enums import RunMethod
from synapse_sdk.plugins.errors import ActionNotFoundError, PluginConfigError
from synapse_sdk.plugins.utils import get_action_class, get_action_config, get_action_method


def test_unknown_keys_are_kept(tmp_path: Path) -> None:
    (tmp_path / 'config.yaml').write_text(
        'name: P\ncode: p\nui_theme: dark\n'
        'actions:\n  train:\n    entrypoint: a.b.C\n    method: job\n    gpu_hint: 1\n'
    )
    config, _ = load_plugin_config(tmp_path)
    assert config.model_extra == {'ui_theme': 'dark'}
    assert config.actions['train'].model_extra == {'gpu_hint': 1}
    assert config.model_dump()['ui_theme'] == 'dark'


def test_synapse_yaml_is_accepted(tmp_path: Path) -> None:
    (tmp_path / 'synapse.yaml').write_text('name: P\ncode: p\nactions:\n  run: {}\n')
    assert PluginDiscovery.from_path(tmp_path).list_actions() == ['run']


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / 'config.yaml').write_text('name: P\ncode: p\nactions:\n  train: [unclosed\n')
    with pytest.raises(PluginConfigError, match=r'config.yaml:\d+:\d+: invalid YAML'):
        load_plugin_config(tmp_path)


def test_empty_and_non_mapping_configs(tmp_path: Path) -> None:
    (tmp_path / 'config.yaml').write_text('')
    with pytest.raises(PluginConfigError, match='is empty'):
        load_plugin_config(tmp_path)
    (tmp_path / 'config.yaml').write_text('- a\n- b\n')
    with pytest.raises(PluginConfigError, match='must be a YAML mapping'):
        load_plugin_config(tmp_path)


def test_invalid_values_name_the_key(tmp_path: Path) -> None:
    (tmp_path / 'config.yaml').write_text('name: P\ncode: p\ncategory: nonsense\nactions:\n  t: {method: sometimes}\n')
    with pytest.raises(PluginConfigError) as info:
        load_plugin_config(tmp_path)
    assert 'category' in info.value.message and 'actions.t.method' in info.value.message
    (tmp_path / 'config.yaml').write_text('code: p\n')
    with pytest.raises(PluginConfigError, match='name: Field required'):
        load_plugin_config(tmp_path)


def test_missing_folder_and_missing_config(tmp_path: Path) -> None:
    with pytest.raises(PluginConfigError, match='does not exist'):
        PluginDiscovery.from_path(tmp_path / 'nope')
    with pytest.raises(PluginConfigError, match=r'No config.yaml \(or synapse.yaml\)'):
        PluginDiscovery.from_path(tmp_path)


def test_unknown_action_lists_available_never_defaults() -> None:
    config = {'actions': {'train': {'method': 'job'}, 'export': {}}}
    with pytest.raises(ActionNotFoundError, match='Available actions: train, export') as info:
        get_action_method(config, 'deploy')
    assert isinstance(info.value, LookupError)
    with pytest.raises(ActionNotFoundError):
        get_action_config(config, 'deploy')
    assert get_action_method(config, 'export') is RunMethod.TASK


def test_unknown_method_string_is_a_config_error() -> None:
    with pytest.raises(PluginConfigError, match="method 'sometimes'; use one of: job, task, serve, restapi"):
        get_action_method({'actions': {'t': {'method': 'sometimes'}}}, 't')


def test_v1_get_action_class_says_what_to_write_instead() -> None:
    with pytest.raises(TypeError, match=r'get_action_method\(config, action\)'):
        get_action_class('neural_net', 'train')


def test_config_cache_sees_edits(tmp_path: Path) -> None:
    file = tmp_path / 'config.yaml'
    file.write_text('name: P\ncode: p\nactions:\n  a: {}\n')
    assert PluginDiscovery.from_path(tmp_path).list_actions() == ['a']
    file.write_text('name: P\ncode: p\nactions:\n  a: {}\n  bb: {}\n')
    assert PluginDiscovery.from_path(tmp_path).list_actions() == ['a', 'bb']
