from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synapse_sdk.plugins.errors import PluginError
from synapse_sdk.plugins.runner import run_plugin

# Simulates an environment where synapse-sdk-ray is not installed (CI also checks real wheels).
WITHOUT_RAY_DISTRIBUTION = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == 'synapse_sdk.ray' or name.startswith('synapse_sdk.ray.'):
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
        return None
sys.meta_path.insert(0, Absent())
from synapse_sdk.plugins.runner import run_plugin
for mode in ('task', 'job'):
    try:
        run_plugin(sys.argv[1], 'train', {'epochs': 1}, mode=mode)
    except ImportError as error:
        print(mode, error)
"""


def test_remote_modes_without_the_ray_distribution_give_the_install_command(example_plugin: Path) -> None:
    done = subprocess.run(
        [sys.executable, '-c', WITHOUT_RAY_DISTRIBUTION, str(example_plugin)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert 'pip install "synapse-sdk[ray]"' in line


def test_unknown_mode_lists_modes(example_plugin: Path) -> None:
    with pytest.raises(PluginError, match='use one of: local, task, job'):
        run_plugin(example_plugin, 'train', {}, mode='cluster')


def test_unknown_plugin_is_a_clear_error() -> None:
    with pytest.raises(PluginError, match='neither a folder with a config.yaml nor an importable Python module'):
        run_plugin('definitely_not_a_module_xyz', 'train', {})


def test_params_default_to_empty(example_plugin: Path) -> None:
    assert run_plugin(example_plugin, 'export', sinks=[]) == {'artifact': 'model-fp32.onnx', 'format': 'onnx'}
