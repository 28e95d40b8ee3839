from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.errors import ActionNotFoundError, EntrypointError
from synapse_sdk.plugins.runner import run_plugin

CONFIG = 'name: P\ncode: p\nactions:\n  hello:\n    entrypoint: {package}.actions.Hello\n'
BODY = """
from synapse_sdk.plugins.action import BaseAction

class Hello(BaseAction):
    def execute(self):
        return {{'from': '{marker}'}}
"""


def test_from_module_skips_bases_and_unnamed_classes_and_keeps_classes_untouched(imported_module_plugin: Any) -> None:
    module = imported_module_plugin
    before = {k: v for k, v in vars(module.Unnamed).items()}
    discovery = PluginDiscovery.from_module(module)
    assert None not in discovery.config.actions
    assert 'Unnamed' not in str(discovery.list_actions())
    assert 'BaseAction' not in str(discovery.config.actions)
    discovery.get_action_class('evaluate')
    assert module.Unnamed.action_name is None and dict(vars(module.Unnamed)) == before


def test_get_action_class_does_not_mutate_user_class(tmp_path: Path, make_plugin: Any) -> None:
    make_plugin(tmp_path, 'pkg_nomut', BODY.format(marker='x'), CONFIG.format(package='pkg_nomut'))
    cls = PluginDiscovery.from_path(tmp_path).get_action_class('hello')
    assert isinstance(cls, type) and issubclass(cls, BaseAction)
    assert cls.action_name is None and cls.category is None


def test_entrypoint_formats_and_get_action_entrypoint(example_plugin: Path) -> None:
    discovery = PluginDiscovery.from_path(example_plugin)
    assert discovery.get_action_entrypoint('train') == 'plugin.train:TrainAction'
    assert discovery.get_action_entrypoint('infer') == 'plugin.inference:InferAction'
    with pytest.raises(ActionNotFoundError):
        discovery.get_action_entrypoint('nope')


def test_sys_path_restored_after_loading_and_running(example_plugin: Path) -> None:
    before = list(sys.path)
    PluginDiscovery.from_path(example_plugin).get_action_class('train')
    run_plugin(example_plugin, 'export', {'format': 'onnx'}, sinks=[])
    assert sys.path == before


def test_plugin_folder_is_importable_while_the_action_runs(tmp_path: Path, make_plugin: Any) -> None:
    body = """
    import sys
    from synapse_sdk.plugins.action import BaseAction

    class Hello(BaseAction):
        def execute(self):
            import pkg_lazy.helper  # imported at run time, not at load time
            return {'helper': pkg_lazy.helper.VALUE, 'on_path': sys.path[0]}
    """
    make_plugin(tmp_path, 'pkg_lazy', body, CONFIG.format(package='pkg_lazy'))
    (tmp_path / 'pkg_lazy' / 'helper.py').write_text('VALUE = 42\n')
    result = run_plugin(tmp_path, 'hello', sinks=[])
    assert result == {'helper': 42, 'on_path': str(tmp_path.resolve())}


def test_two_plugins_with_the_same_package_name_do_not_mix(tmp_path: Path, make_plugin: Any) -> None:
    first = make_plugin(tmp_path / 'a', 'plugin', BODY.format(marker='first'), CONFIG.format(package='plugin'))
    second = make_plugin(tmp_path / 'b', 'plugin', BODY.format(marker='second'), CONFIG.format(package='plugin'))
    try:
        assert run_plugin(first, 'hello', sinks=[]) == {'from': 'first'}
        assert run_plugin(second, 'hello', sinks=[]) == {'from': 'second'}
        assert run_plugin(first, 'hello', sinks=[]) == {'from': 'first'}
    finally:
        for name in [n for n in sys.modules if n == 'plugin' or n.startswith('plugin.')]:
            del sys.modules[name]


def test_entrypoint_errors_name_the_entrypoint(tmp_path: Path, make_plugin: Any) -> None:
    make_plugin(
        tmp_path,
        'pkg_bad',
        'import not_a_real_dependency_xyz\n',
        'name: P\ncode: p\nactions:\n  a: {entrypoint: pkg_bad.actions.A}\n  b: {entrypoint: pkg_bad.nothing:B}\n'
        '  c: {entrypoint: json:dumps}\n  d: {}\n',
    )
    discovery = PluginDiscovery.from_path(tmp_path)
    with pytest.raises(EntrypointError, match=r"entrypoint 'pkg_bad.actions.A'.*not_a_real_dependency_xyz") as info:
        discovery.get_action_class('a')
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    with pytest.raises(EntrypointError, match="module 'pkg_bad.nothing'"):
        discovery.get_action_class('b')
    with pytest.raises(EntrypointError, match='is not an action'):
        discovery.get_action_class('c')
    with pytest.raises(EntrypointError, match="Action 'd' has no entrypoint"):
        discovery.get_action_class('d')


def test_action_from_the_package_root_decorates_even_after_the_action_module_is_imported() -> None:
    import synapse_sdk.plugins.action  # noqa: F401 - sets the package attribute `action` to the module
    from synapse_sdk.plugins import action
    from synapse_sdk.plugins._context import RuntimeContext
    from synapse_sdk.plugins._dispatch import is_action, run_action

    @action(name='double')
    def double(params: dict[str, int], ctx: object) -> int:
        return params['n'] * 2

    assert is_action(double)
    assert run_action(double, {'n': 4}, RuntimeContext()) == 8
