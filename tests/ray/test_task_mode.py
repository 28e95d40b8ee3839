"""Task mode: actions in warm Ray actors on the session head."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from synapse_sdk.plugins._events import CallbackSink, MemorySink
from synapse_sdk.plugins.errors import ExecutionError, ParamsValidationError
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor, RayTaskExecutor
from synapse_sdk.plugins.runner import run_plugin
from synapse_sdk.ray._secrets import Secret
from synapse_sdk.ray.errors import ActionTimeoutError, RemoteError, ResourceUnavailableError, WorkerCrashedError
from synapse_sdk.ray.testing import LocalHead, free_port

TASK_SECRET = 'task-secret-3b9f0c1e'


def test_class_action_runs_in_actor_with_events_in_order_and_language(connected: LocalHead, echo_plugin: Path):
    sink = MemorySink()
    executor = RayActorExecutor(
        address=connected.address,
        working_dir=echo_plugin,
        env={'API_TOKEN': Secret(TASK_SECRET), 'PLAIN_SETTING': 'plain'},
        language='ko',
        sinks=[sink],
    )
    result = executor.execute('echo_plugin.actions:EchoAction', {'text': 'hello', 'repeat': 3})
    assert result['text'] == 'hello'
    assert result['secret_seen'] == TASK_SECRET and result['env_seen'] == TASK_SECRET
    assert result['public_seen'] == 'plain'
    kinds = [e.kind for e in sink.events]
    assert kinds[0] == 'message' and sink.events[0].code == 'PLUGIN_RUN_STARTED'
    progress = [e.data['current'] for e in sink.events if e.kind == 'progress']
    assert progress == [1, 2, 3]
    assert 'metrics' in kinds and sink.events[-1].code == 'PLUGIN_RUN_COMPLETE'
    assert '실행' in sink.events[0].render('ko') and 'echo' in sink.events[0].render('en')
    for path in ('/api/v0/actors?detail=1', '/api/v0/tasks?detail=1', '/api/jobs/'):
        with urllib.request.urlopen(connected.dashboard_address + path, timeout=30) as response:
            assert TASK_SECRET not in response.read().decode('utf-8'), path


def test_function_action_and_warm_actor_reuse(connected: LocalHead, echo_plugin: Path):
    first = RayActorExecutor(address=connected.address, working_dir=echo_plugin, sinks=[])
    second = RayTaskExecutor(address=connected.address, working_dir=echo_plugin, sinks=[])
    assert first.execute('echo_plugin.actions:shout', {'text': 'abc'}) == {'text': 'ABC'}
    pid_a = first.execute('echo_plugin.actions:EchoAction', {'text': 'x'})['pid']
    pid_b = first.execute('echo_plugin.actions:EchoAction', {'text': 'y'})['pid']
    pid_c = second.execute('echo_plugin.actions:EchoAction', {'text': 'z'})['pid']
    assert pid_a == pid_b == pid_c
    started = time.perf_counter()
    for _ in range(20):
        first.execute('echo_plugin.actions:shout', {'text': 'w'})
    assert (time.perf_counter() - started) / 20 < 0.1  # warm: no new actor per call


def test_events_of_a_long_action_arrive_while_it_runs(connected: LocalHead, echo_plugin: Path):
    arrivals: list[tuple[str, float]] = []
    sink = CallbackSink(lambda event: arrivals.append((event.kind, time.monotonic())))
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, sinks=[sink])
    assert executor.execute('echo_plugin.actions:ticker', {'pause': 2}) == 'ticked'
    finished = time.monotonic()
    first_progress = next(at for kind, at in arrivals if kind == 'progress')
    assert finished - first_progress > 1.0  # seen live, not replayed at the end
    assert [kind for kind, _ in arrivals].count('progress') == 2


def test_an_action_past_its_timeout_is_a_clear_error(connected: LocalHead, echo_plugin: Path):
    # its own actor (distinct env), so the still-sleeping action holds up no other test
    executor = RayActorExecutor(
        address=connected.address, working_dir=echo_plugin, env={'PURPOSE': 'timeout'}, timeout=1.5, sinks=[]
    )
    try:
        started = time.monotonic()
        with pytest.raises(ActionTimeoutError, match='within 1.5s'):
            executor.execute('echo_plugin.actions:sleep', {'seconds': 30})
        assert time.monotonic() - started < 10
    finally:
        executor.shutdown()


def test_working_dir_honours_gitignore_and_synapseignore(connected: LocalHead, echo_plugin: Path):
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, sinks=[])
    listing = executor.execute('echo_plugin.actions:files', {})
    assert 'config.yaml' in listing and 'echo_plugin' in listing
    assert 'big_data' not in listing and 'notes.txt' not in listing


def test_action_exception_keeps_type_message_and_remote_traceback(connected: LocalHead, echo_plugin: Path):
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, sinks=[])
    with pytest.raises(ExecutionError) as caught:
        executor.execute('echo_plugin.actions:fail', {'why': 'wrong size'})
    error = caught.value
    assert "Action 'fail' failed: PluginFailure: bad input: wrong size" in str(error)
    cause = error.__cause__
    assert isinstance(cause, RemoteError) and error.original is cause
    assert cause.remote_type == 'echo_plugin.actions.PluginFailure'
    assert 'raise PluginFailure' in cause.remote_traceback and 'actions.py' in cause.remote_traceback


def test_invalid_params_arrive_as_params_validation_error(connected: LocalHead, echo_plugin: Path):
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, sinks=[])
    with pytest.raises(ParamsValidationError) as caught:
        executor.execute('echo_plugin.actions:EchoAction', {'repeat': 'many'})
    fields = {tuple(e['loc']) for e in caught.value.errors}
    assert ('text',) in fields and ('repeat',) in fields


def test_run_plugin_task_mode(connected: LocalHead, echo_plugin: Path):
    result = run_plugin(echo_plugin, 'shout', {'text': 'seed'}, mode='task', address=connected.address, sinks=[])
    assert result == {'text': 'SEED'}


def test_killed_worker_is_a_clear_error_and_not_retried(connected: LocalHead, echo_plugin: Path):
    import ray

    # Its own actor (distinct env -> distinct runtime_env), so other tests keep their warm actor.
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, env={'KILL_TEST': '1'}, sinks=[])
    executor.execute('echo_plugin.actions:shout', {'text': 'warm'})
    outcome: dict[str, BaseException] = {}

    def call() -> None:
        try:
            executor.execute('echo_plugin.actions:sleep', {'seconds': 60})
        except BaseException as error:  # noqa: B902 - handed to the main thread
            outcome['error'] = error

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(1.5)
    ray.kill(executor._actor, no_restart=True)
    worker.join(timeout=30)
    assert isinstance(outcome.get('error'), WorkerCrashedError)
    assert 'not retried' in str(outcome['error'])
    # The next call gets a fresh actor.
    assert executor.execute('echo_plugin.actions:shout', {'text': 'again'}) == {'text': 'AGAIN'}
    executor.shutdown()


def test_gpu_request_accepted_when_the_cluster_has_one(connected: LocalHead, echo_plugin: Path):
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, num_gpus=1, sinks=[])
    try:
        assert executor.execute('echo_plugin.actions:gpu', {}) == ['0']
    finally:
        executor.shutdown()  # a warm actor would keep the GPU


def test_gpu_request_beyond_the_cluster_refused_up_front(connected: LocalHead, echo_plugin: Path):
    executor = RayActorExecutor(address=connected.address, working_dir=echo_plugin, num_gpus=2, sinks=[])
    started = time.monotonic()
    with pytest.raises(ResourceUnavailableError, match='2 GPUs requested.*has 1 in total'):
        executor.execute('echo_plugin.actions:shout', {'text': 'x'})
    assert time.monotonic() - started < 5
    cpu_only = RayActorExecutor(num_gpus=1)
    with pytest.raises(ResourceUnavailableError, match='1 GPUs requested.*has 0 in total.*--num-gpus'):
        cpu_only.check_resources({'CPU': 2.0}, where='a CPU-only cluster')


def test_unreachable_cluster_fails_fast_with_a_clear_message(ray_head: LocalHead):
    port = free_port()
    code = (
        'from synapse_sdk.ray._task import RayActorExecutor\n'
        f"RayActorExecutor(address='127.0.0.1:{port}', connect_timeout=1, sinks=[]).execute('x:y', {{}})\n"
    )
    started = time.monotonic()
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert 'ClusterUnreachableError' in proc.stderr and 'is unreachable' in proc.stderr
    assert time.monotonic() - started < 30
