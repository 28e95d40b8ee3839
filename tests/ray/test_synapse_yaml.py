"""A plugin configured by ``synapse.yaml`` means the same thing locally and on Ray (one parser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synapse_sdk.plugins.errors import PluginConfigError
from synapse_sdk.plugins.runner import run_plugin
from synapse_sdk.ray._executor_base import RayExecutorBase
from synapse_sdk.ray.testing import LocalHead

CONFIG = """\
name: Yaml plugin
code: yaml-plugin
package_manager: uv
package_manager_options: --no-cache --prerelease allow
env:
  GREETING: from-synapse-yaml
actions:
  greet:
    entrypoint: yaml_plugin.actions:greet
"""

ACTIONS = """\
import os

from synapse_sdk.plugins.decorators import action


@action(name='greet')
def greet(params, ctx):
    return {'greeting': os.environ.get('GREETING') or ctx.env.get('GREETING')}
"""


@pytest.fixture
def yaml_plugin(tmp_path: Path) -> Path:
    root = tmp_path / 'yaml_plugin_root'
    (root / 'yaml_plugin').mkdir(parents=True)
    (root / 'synapse.yaml').write_text(CONFIG, encoding='utf-8')
    (root / 'yaml_plugin' / '__init__.py').write_text('', encoding='utf-8')
    (root / 'yaml_plugin' / 'actions.py').write_text(ACTIONS, encoding='utf-8')
    return root


def test_ray_reads_synapse_yaml_with_the_plugins_parser(yaml_plugin: Path) -> None:
    executor = RayExecutorBase(working_dir=yaml_plugin, include_credentials=False)
    env = executor.build_runtime_env()
    assert 'uv' in env and 'pip' not in env
    assert env['uv']['uv_pip_install_options'] == ['--no-cache', '--prerelease', 'allow']
    assert executor.public_env['GREETING'] == 'from-synapse-yaml'


def test_a_typo_in_synapse_yaml_is_the_same_error_on_ray(yaml_plugin: Path) -> None:
    (yaml_plugin / 'synapse.yaml').write_text(CONFIG.replace('package_manager:', 'pakage_manager:'), encoding='utf-8')
    with pytest.raises(PluginConfigError, match="did you mean 'package_manager'"):
        RayExecutorBase(working_dir=yaml_plugin, include_credentials=False)
    with pytest.raises(PluginConfigError, match="did you mean 'package_manager'"):
        run_plugin(yaml_plugin, 'greet', {})


def test_the_env_reaches_the_action_locally_and_in_task_mode(connected: LocalHead, yaml_plugin: Path) -> None:
    # package_manager: uv with no requirements installs nothing, so the head's environment runs it.
    local = run_plugin(yaml_plugin, 'greet', {}, sinks=[])
    remote = run_plugin(yaml_plugin, 'greet', {}, mode='task', address=connected.address, sinks=[])
    assert local == remote == {'greeting': 'from-synapse-yaml'}
