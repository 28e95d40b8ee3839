"""A plugin's own dependencies reach the worker: ``package_manager: uv`` with a wheel it ships in ``wheels/``."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.ray._jobs_api import RayJobsApiExecutor
from synapse_sdk.ray._task import RayActorExecutor
from synapse_sdk.ray.testing import LocalHead

PROBE_PROJECT = """\
[project]
name = "synapse-req-probe"
version = "1.2.3"
requires-python = ">=3.10"

[build-system]
requires = ["uv_build>=0.8,<0.20"]
build-backend = "uv_build"
"""

PLUGIN_CONFIG = """\
name: Requirements plugin
code: needs-probe
version: 0.1.0
category: custom
package_manager: uv
actions:
  probe:
    entrypoint: needs_probe.actions:probe
"""

PLUGIN_CODE = """\
import sys

from synapse_sdk.plugins.decorators import action


@action(name='probe')
def probe(params, ctx):
    import synapse_req_probe

    return {'value': synapse_req_probe.VALUE, 'prefix': sys.prefix}
"""


@pytest.fixture(scope='module')
def needs_probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin whose action imports a package nobody has installed; it ships that package's wheel."""
    uv = shutil.which('uv')
    assert uv, 'uv is needed to build the probe wheel'
    project = tmp_path_factory.mktemp('probe-project')
    (project / 'pyproject.toml').write_text(PROBE_PROJECT, encoding='utf-8')
    (project / 'src' / 'synapse_req_probe').mkdir(parents=True)
    (project / 'src' / 'synapse_req_probe' / '__init__.py').write_text("VALUE = 'shipped'\n", encoding='utf-8')
    built = tmp_path_factory.mktemp('probe-dist')  # `uv build -o` also writes a `*` .gitignore there
    subprocess.run([uv, 'build', '-q', '--wheel', '-o', str(built), str(project)], check=True)
    plugin = tmp_path_factory.mktemp('needs-probe')
    (plugin / 'wheels').mkdir()
    for wheel in built.glob('*.whl'):
        shutil.copy(wheel, plugin / 'wheels' / wheel.name)
    (plugin / 'config.yaml').write_text(PLUGIN_CONFIG, encoding='utf-8')
    (plugin / 'needs_probe').mkdir()
    (plugin / 'needs_probe' / '__init__.py').write_text('', encoding='utf-8')
    (plugin / 'needs_probe' / 'actions.py').write_text(textwrap.dedent(PLUGIN_CODE), encoding='utf-8')
    probe = subprocess.run(['python', '-c', 'import synapse_req_probe'], capture_output=True)
    assert probe.returncode != 0, 'the probe package must not be installed in the test environment'
    return plugin


def test_wheels_hidden_by_a_gitignore_are_a_clear_error(needs_probe: Path, tmp_path: Path) -> None:
    plugin = tmp_path / 'plugin'
    shutil.copytree(needs_probe, plugin)
    (plugin / 'wheels' / '.gitignore').write_text('*\n', encoding='utf-8')
    with pytest.raises(ConfigError, match=r'wheels/\.gitignore ignores every file'):
        RayActorExecutor(working_dir=plugin, include_credentials=False).build_runtime_env()


def _installed_by_ray(result: dict[str, str]) -> None:
    assert result['value'] == 'shipped'
    assert '/runtime_resources/uv/' in result['prefix']  # the environment Ray built from the plugin


def test_task_mode_installs_the_plugins_wheels(connected: LocalHead, needs_probe: Path) -> None:
    executor = RayActorExecutor(address=connected.address, working_dir=needs_probe, include_credentials=False, sinks=[])
    try:
        _installed_by_ray(executor.execute('needs_probe.actions:probe', {}))
    finally:
        executor.shutdown()


def test_job_mode_installs_the_plugins_wheels(ray_head: LocalHead, needs_probe: Path) -> None:
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address, working_dir=needs_probe, include_credentials=False
    )
    _installed_by_ray(executor.wait(executor.submit('needs_probe.actions:probe', {}), timeout=300))
