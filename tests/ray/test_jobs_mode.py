"""Job mode: actions as Ray jobs through the dashboard, with side-channel params and results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.plugins._events import CallbackSink, MemorySink
from synapse_sdk.plugins.errors import ExecutionError, ParamsValidationError
from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.runner import run_plugin
from synapse_sdk.ray._secrets import Secret
from synapse_sdk.ray.errors import (
    ActionTimeoutError,
    ClusterUnreachableError,
    JobStoppedError,
    RemoteError,
    ResourceUnavailableError,
)
from synapse_sdk.ray.testing import LocalHead, free_port

SECRET_TOKEN = 'tok-5f1c2a9e-never-shown'
SECRET_KEY = 'ak-77d0-never-shown'
NASTY = (
    'quote \' " `whoami` $(rm -rf /) ${HOME} %s {x} \\n \\\\ \n real newline \t tab \x00nul? no: '
    'ünïcødé 한국어 🚀 ' + 'A' * 1_000_000
).replace('\x00', '')


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob('*')) if p.is_file()}


@pytest.fixture(scope='module')
def jobs(ray_head: LocalHead, echo_plugin: Path) -> dict[str, Any]:
    """Submit the module's jobs together so they run side by side (each takes a few seconds)."""
    before = _tree(echo_plugin)
    sink = MemorySink()
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=echo_plugin,
        env={'API_TOKEN': SECRET_TOKEN, 'PLAIN_SETTING': 'plain'},
        secrets={'STORAGE_CREDENTIAL_BLOB': Secret(SECRET_KEY)},
        language='ko',
        sinks=[sink],
    )
    ids = {
        'echo': executor.submit('echo_plugin.actions:EchoAction', {'text': NASTY, 'repeat': 2}),
        'greet': executor.submit('echo_plugin.actions:greet', {'name': '민수'}),
        'fail': executor.submit('echo_plugin.actions:fail', {'why': 'broken'}),
        'sleep': executor.submit('echo_plugin.actions:sleep', {'seconds': 120}),
        'files': executor.submit('echo_plugin.actions:files', {}),
    }
    return {'executor': executor, 'ids': ids, 'sink': sink, 'before': before}


def test_params_arrive_byte_identical_and_result_comes_back_through_the_side_channel(jobs, echo_plugin: Path):
    executor, job_id = jobs['executor'], jobs['ids']['echo']
    result = executor.wait(job_id, timeout=120)
    assert result['text'] == NASTY
    assert result['public_seen'] == 'plain'
    assert result['secret_seen'] == SECRET_TOKEN  # secrets reach the action...
    assert executor.status(job_id) == 'SUCCEEDED'
    logs = executor.logs(job_id)
    assert 'A' * 1000 not in logs and '$(rm -rf /)' not in logs  # ...the result is not log text
    assert _tree(echo_plugin) == jobs['before']  # nothing written into the plugin folder


def test_job_working_dir_honours_gitignore_and_synapseignore(jobs):
    listing = jobs['executor'].wait(jobs['ids']['files'], timeout=120)
    assert 'config.yaml' in listing and 'echo_plugin' in listing
    assert 'big_data' not in listing and 'notes.txt' not in listing
    assert not any(name.startswith('_synapse_payload') for name in listing)


def test_secrets_and_params_never_visible_in_dashboard_or_ray_job_list(jobs, ray_head: LocalHead):
    executor = jobs['executor']
    for job_id in jobs['ids'].values():
        if job_id != jobs['ids']['sleep']:
            executor.wait(job_id, timeout=120) if job_id == jobs['ids']['echo'] else None
    urls = ['/api/jobs/', *(f'/api/jobs/{i}' for i in jobs['ids'].values()), '/api/v0/tasks', '/api/v0/actors']
    for path in urls:
        with urllib.request.urlopen(ray_head.dashboard_address + path, timeout=30) as response:
            body = response.read().decode('utf-8')
        assert SECRET_TOKEN not in body and SECRET_KEY not in body, path
        assert '$(rm -rf /)' not in body and 'A' * 1000 not in body, path
    info = executor.info(jobs['ids']['echo'])
    assert info['entrypoint'] == 'python -m synapse_sdk.ray._job_entry'
    assert 'API_TOKEN' not in json.dumps(info['runtime_env'])
    assert info['runtime_env']['env_vars']['PLAIN_SETTING'] == 'plain'
    listing = subprocess.run(
        [str(Path(sys.executable).with_name('ray')), 'job', 'list', '--address', ray_head.dashboard_address],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, 'RAY_AUTH_MODE': 'disabled'},
    )
    assert listing.returncode == 0, listing.stderr
    assert jobs['ids']['echo'] in listing.stdout
    assert SECRET_TOKEN not in listing.stdout + listing.stderr and SECRET_KEY not in listing.stdout


def test_function_action_follows_logs_in_korean_and_events_reach_sinks_in_order(jobs):
    executor, job_id = jobs['executor'], jobs['ids']['greet']
    lines = list(executor.follow(job_id, timeout=120))
    text = '\n'.join(lines)
    assert '안녕하세요 민수' in text and "'greet' 액션을 실행합니다" in text
    assert executor.status(job_id) == 'SUCCEEDED'  # follow() only ends once the job has
    assert executor.wait(job_id, timeout=30) == 'greeted'
    mine = [e for e in jobs['sink'].events if e.job_id == job_id]
    assert [e.data['current'] for e in mine if e.kind == 'progress'] == [1, 2, 3]
    assert mine[0].code == 'PLUGIN_RUN_STARTED' and mine[-1].code == 'PLUGIN_RUN_COMPLETE'
    assert any(e.render('ko') == '안녕하세요 민수' for e in mine)


def test_events_reach_sinks_while_the_job_still_runs(ray_head: LocalHead, echo_plugin: Path):
    arrivals: list[tuple[float, Any]] = []
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=echo_plugin,
        sinks=[CallbackSink(lambda event: arrivals.append((time.time(), event)))],
        include_credentials=False,
    )
    job_id = executor.submit('echo_plugin.actions:ticker', {'pause': 4})
    list(executor.follow(job_id, timeout=120))
    ended = executor.info(job_id)['end_time'] / 1000
    ticks = [(when, e) for when, e in arrivals if e.kind == 'progress']
    assert [e.data['current'] for _, e in ticks] == [1, 2]
    assert ticks[0][0] < ended - 2  # the first tick arrived during the 4 s pause, not replayed at the end
    assert executor.wait(job_id, timeout=30) == 'ticked'
    assert len([e for _, e in arrivals if e.kind == 'progress']) == 2  # wait() does not deliver them twice


def test_many_events_arrive_once_each_in_order_through_a_small_window(ray_head: LocalHead, echo_plugin: Path):
    sink = MemorySink()
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=echo_plugin,
        sinks=[sink],
        events_window=3,  # polls fetch the last 3 lines; more new ones than that means one whole read
        include_credentials=False,
    )
    job_id = executor.submit('echo_plugin.actions:EchoAction', {'text': 'x', 'repeat': 25})
    list(executor.follow(job_id, poll_interval=0.05, timeout=120))
    executor.wait(job_id, timeout=30)
    assert [e.data['current'] for e in sink.events if e.kind == 'progress'] == list(range(1, 26))
    assert sink.events[0].code == 'PLUGIN_RUN_STARTED' and sink.events[-1].code == 'PLUGIN_RUN_COMPLETE'


def test_failure_arrives_typed_with_remote_traceback(jobs):
    executor = jobs['executor']
    with pytest.raises(ExecutionError) as caught:
        executor.wait(jobs['ids']['fail'], timeout=120)
    cause = caught.value.__cause__
    assert isinstance(cause, RemoteError) and cause.remote_type == 'echo_plugin.actions.PluginFailure'
    assert 'bad input: broken' in str(caught.value) and 'raise PluginFailure' in cause.remote_traceback
    assert executor.status(jobs['ids']['fail']) == 'FAILED'
    # Params the model rejects are refused before anything is submitted (the action imports here).
    submitted = len(executor.dashboard.jobs())
    with pytest.raises(ParamsValidationError) as invalid:
        executor.submit('echo_plugin.actions:EchoAction', {'repeat': 'many'})
    assert {tuple(e['loc']) for e in invalid.value.errors} == {('text',), ('repeat',)}
    assert len(executor.dashboard.jobs()) == submitted


def test_wait_timeout_then_stop(jobs):
    executor, job_id = jobs['executor'], jobs['ids']['sleep']
    deadline = time.monotonic() + 90
    while executor.status(job_id) != 'RUNNING' and time.monotonic() < deadline:
        time.sleep(0.2)
    started = time.monotonic()
    with pytest.raises(ActionTimeoutError):
        executor.wait(job_id, timeout=1)
    assert time.monotonic() - started < 5
    assert executor.stop(job_id) is True
    with pytest.raises(JobStoppedError):
        executor.wait(job_id, timeout=60)
    assert executor.status(job_id) == 'STOPPED'


def test_run_plugin_job_mode_returns_a_job_id(ray_head: LocalHead, echo_plugin: Path):
    job_id = run_plugin(echo_plugin, 'shout', {'text': 'job'}, mode='job', dashboard_address=ray_head.dashboard_address)
    executor = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address)
    assert executor.wait(job_id, timeout=120) == {'text': 'JOB'}


def test_gpu_job_refused_before_submission(ray_head: LocalHead, echo_plugin: Path):
    executor = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=echo_plugin, num_gpus=2)
    with pytest.raises(ResourceUnavailableError, match='GPU'):
        executor.submit('echo_plugin.actions:shout', {'text': 'x'})


def test_unreachable_dashboard_fails_fast():
    executor = RayJobsApiExecutor(dashboard_address=f'http://127.0.0.1:{free_port()}', connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(ClusterUnreachableError, match='unreachable'):
        executor.submit('echo_plugin.actions:shout', {'text': 'x'})
    assert time.monotonic() - started < 5
