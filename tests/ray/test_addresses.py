"""Pasting the other mode's address gives one line with the form the mode needs, never a Ray traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from synapse_sdk.ray._addresses import dashboard_url, driver_address
from synapse_sdk.ray.errors import AddressError
from synapse_sdk.ray.testing import LocalHead

SYNAPSE = Path(sys.executable).parent / 'synapse'


def synapse(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ('RAY_ADDRESS', 'SYNAPSE_LANGUAGE')}
    return subprocess.run([str(SYNAPSE), *args], capture_output=True, text=True, env=env, timeout=120)


def test_forms_each_mode_takes() -> None:
    assert driver_address('127.0.0.1:6379') == '127.0.0.1:6379'
    assert driver_address('ray://10.0.0.5:10001') == 'ray://10.0.0.5:10001'
    assert driver_address('auto') == 'auto'
    assert dashboard_url('http://10.0.0.5:8265/') == 'http://10.0.0.5:8265'
    assert dashboard_url('10.0.0.5:8265') == 'http://10.0.0.5:8265'
    with pytest.raises(AddressError, match=r'Task mode needs the cluster address: 10\.0\.0\.5:6379'):
        driver_address('http://10.0.0.5:8265')
    with pytest.raises(AddressError, match=r'Job mode needs the Ray dashboard URL, e\.g\. http://10\.0\.0\.5:8265'):
        dashboard_url('ray://10.0.0.5:10001')
    with pytest.raises(AddressError, match='Job mode needs the Ray dashboard URL'):
        dashboard_url('10.0.0.5:6379')


def test_dashboard_url_in_task_mode(ray_head: LocalHead, echo_plugin: Path) -> None:
    done = synapse('plugin', 'run', 'echo', '--path', str(echo_plugin), '--mode', 'task',
                   '--address', ray_head.dashboard_address, '--params', '{"text": "hi"}')  # fmt: skip
    assert done.returncode == 1
    assert 'Traceback' not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'is the Ray dashboard, which job mode uses (--mode job)' in lines[0], done.stderr


def test_gcs_address_in_job_mode(ray_head: LocalHead, echo_plugin: Path) -> None:
    done = synapse('plugin', 'run', 'echo', '--path', str(echo_plugin), '--mode', 'job',
                   '--address', ray_head.address, '--params', '{"text": "hi"}')  # fmt: skip
    assert done.returncode == 1
    assert 'Traceback' not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Job mode needs the Ray dashboard URL' in lines[0], done.stderr


def test_job_mode_validates_params_before_submitting(ray_head: LocalHead, echo_plugin: Path) -> None:
    from synapse_sdk.ray._dashboard import Dashboard

    dashboard = Dashboard(ray_head.dashboard_address)
    before = len(dashboard.jobs())
    done = synapse('plugin', 'run', 'echo', '--path', str(echo_plugin), '--mode', 'job',
                   '--address', ray_head.dashboard_address, '--params', '{"txt": "hi"}')  # fmt: skip
    assert done.returncode == 1
    assert "did you mean 'text'?" in done.stderr and 'Traceback' not in done.stderr
    assert len(dashboard.jobs()) == before  # nothing was submitted


def test_task_mode_shows_the_actions_own_traceback(ray_head: LocalHead, echo_plugin: Path) -> None:
    done = synapse('plugin', 'run', 'fail', '--path', str(echo_plugin), '--mode', 'task',
                   '--address', ray_head.address, '--params', '{}')  # fmt: skip
    assert done.returncode == 1
    assert 'Traceback (most recent call last)' in done.stderr
    assert 'echo_plugin/actions.py' in done.stderr and 'in fail' in done.stderr
    assert 'PluginFailure' in done.stderr
