"""``include_sdk=True`` on workers whose Python has Ray but not the SDK (a second venv on the session head)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_sdk.core._version import sdk_version
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.ray._jobs_api import RayJobsApiExecutor
from synapse_sdk.ray._task import RayActorExecutor
from synapse_sdk.ray.errors import EnvironmentSetupError
from synapse_sdk.ray.testing import LocalHead

ROOT = Path(__file__).resolve().parents[2]

PLUGIN_CONFIG = """\
name: Where plugin
code: where
version: 0.1.0
category: custom
actions:
  where:
    entrypoint: where_plugin.actions:where
"""

PLUGIN_CODE = """\
import sys

import synapse_sdk.plugins
from synapse_sdk.core._version import sdk_version
from synapse_sdk.i18n import LocalizedMessage
from synapse_sdk.plugins.decorators import action


@action(name='where')
def where(params, ctx):
    ctx.log_message(LocalizedMessage({'en': 'running remotely', 'ko': '원격에서 실행 중'}))
    return {'prefix': sys.prefix, 'sdk': synapse_sdk.plugins.__path__[0], 'version': sdk_version()}
"""


@pytest.fixture(scope='session')
def sdk_free_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stock Ray worker: a venv with only ``ray[default]`` (at the lock's versions), no synapse_sdk."""
    uv = shutil.which('uv')
    assert uv, 'uv is needed to build the SDK-free worker environment'
    folder = tmp_path_factory.mktemp('sdk-free')
    pins = folder / 'constraints.txt'
    exported = subprocess.run(
        [uv, 'export', '--package', 'synapse-sdk-ray', '--no-emit-workspace', '--frozen', '--no-hashes', '--no-dev'],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pins.write_text(exported, encoding='utf-8')
    venv = folder / 'venv'
    subprocess.run([uv, 'venv', '-q', '--python', sys.executable, str(venv)], check=True)
    python = venv / 'bin' / 'python'
    install = [uv, 'pip', 'install', '-q', '--python', str(python), '-c', str(pins), 'ray[default]']
    subprocess.run(install, check=True)
    for module in ('synapse_sdk', 'rich'):  # neither the SDK nor its extra dependencies are there
        probe = subprocess.run([str(python), '-c', f'import {module}'], capture_output=True, text=True, env={})
        assert probe.returncode != 0, f'the worker venv must not have {module}'
    return python


@pytest.fixture(scope='session')
def sdk_wheels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The SDK's wheels, built into a fresh folder (not the workspace's dist/)."""
    folder = tmp_path_factory.mktemp('sdk-wheels')
    saved = os.environ.get('SYNAPSE_SDK_WHEELS')
    os.environ['SYNAPSE_SDK_WHEELS'] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop('SYNAPSE_SDK_WHEELS', None)
    else:
        os.environ['SYNAPSE_SDK_WHEELS'] = saved


@pytest.fixture()
def where_plugin(tmp_path: Path) -> Path:
    root = tmp_path / 'where'
    (root / 'where_plugin').mkdir(parents=True)
    (root / 'config.yaml').write_text(PLUGIN_CONFIG, encoding='utf-8')
    (root / 'where_plugin' / '__init__.py').write_text('', encoding='utf-8')
    (root / 'where_plugin' / 'actions.py').write_text(textwrap.dedent(PLUGIN_CODE), encoding='utf-8')
    return root


def _check_ran_on_shipped_sdk(result: dict[str, str], python: Path) -> None:
    assert Path(result['prefix']) == python.parent.parent  # the SDK-free venv ran the action
    assert 'py_modules_files' in result['sdk']  # synapse_sdk came from the shipped tree
    assert not result['sdk'].startswith(str(ROOT))
    assert result['version'] == sdk_version()  # the shipped .dist-info travels too


def test_actor_without_the_sdk_runs_the_plugin_with_include_sdk(
    connected: LocalHead, where_plugin: Path, sdk_free_python: Path, sdk_wheels: Path
) -> None:
    sink = MemorySink()
    executor = RayActorExecutor(
        address=connected.address,
        working_dir=where_plugin,
        runtime_env={'py_executable': str(sdk_free_python)},
        include_sdk=True,
        language='ko',
        sinks=[sink],
        include_credentials=False,
    )
    try:
        result = executor.execute('where_plugin.actions:where', {})
    finally:
        executor.shutdown()
    _check_ran_on_shipped_sdk(result, sdk_free_python)
    assert '원격에서 실행 중' in [event.render('ko') for event in sink.events]


def test_job_without_the_sdk_runs_the_plugin_with_include_sdk(
    ray_head: LocalHead, where_plugin: Path, sdk_free_python: Path, sdk_wheels: Path
) -> None:
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=where_plugin,
        runtime_env={'py_executable': str(sdk_free_python)},
        include_sdk=True,
        include_credentials=False,
    )
    job_id = executor.submit('where_plugin.actions:where', {})
    result = executor.wait(job_id, timeout=180)
    _check_ran_on_shipped_sdk(result, sdk_free_python)


def test_actor_without_the_sdk_and_without_include_sdk_says_what_to_do(
    connected: LocalHead, where_plugin: Path, sdk_free_python: Path
) -> None:
    executor = RayActorExecutor(
        address=connected.address,
        working_dir=where_plugin,
        runtime_env={'py_executable': str(sdk_free_python)},
        include_credentials=False,
    )
    try:
        with pytest.raises(EnvironmentSetupError, match='include_sdk=True'):
            executor.execute('where_plugin.actions:where', {})
    finally:
        executor.shutdown()


def test_job_without_the_sdk_and_without_include_sdk_says_what_to_do(
    ray_head: LocalHead, where_plugin: Path, sdk_free_python: Path
) -> None:
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=where_plugin,
        runtime_env={'py_executable': str(sdk_free_python)},
        include_credentials=False,
    )
    job_id = executor.submit('where_plugin.actions:where', {})
    with pytest.raises(EnvironmentSetupError, match='include_sdk=True'):
        executor.wait(job_id, timeout=120)
