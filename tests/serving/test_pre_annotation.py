"""Batch pre-annotation from a served model: bounded concurrency, retries, per-task state, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.plugins.runner import run_plugin

REPO = Path(__file__).resolve().parents[2]
INFERENCE_PLUGIN = REPO / 'examples' / 'inference_plugin'
FIXTURE_PLUGIN = Path(__file__).resolve().parent / 'fixture_plugin'

RUN_TO_TASK = """
import json, sys
from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins.runner import run_plugin
result = run_plugin(sys.argv[1], 'to_task', json.loads(sys.argv[3]), client=LocalBackend(sys.argv[2]), sinks=[])
print(json.dumps(result))
"""


def calls(path: Path) -> Counter[str]:
    return Counter(line for line in path.read_text(encoding='utf-8').splitlines() if line)


@pytest.fixture
def project(backend: LocalBackend, tmp_path: Path, dm_factory: Any, request: pytest.FixtureRequest) -> dict[str, Any]:
    """``count`` images without annotations, as the tasks of one project."""
    count = getattr(request, 'param', 12)
    root = dm_factory(tmp_path / 'raw', count)
    for path in (root / 'json').iterdir():
        path.unlink()
    (root / 'json').rmdir()
    return backend.create_project('pre', backend.register_dataset('raw', root)['id'])


def image_of(task: dict[str, Any]) -> str:
    return str(task['data_unit']['files']['original_files']['url'])


@pytest.fixture
def model(count_file: Path) -> Iterator[Any]:
    """The fixture plugin's counting detector, served; ``model(env=...)`` for other settings."""
    handles: list[Any] = []

    def serve(action: str = 'count', **env: str) -> Any:
        handle = run_plugin(FIXTURE_PLUGIN, action, {}, mode='serve', env={'COUNT_FILE': str(count_file), **env})
        handles.append(handle)
        return handle

    yield serve
    for handle in handles:
        handle.delete()


@pytest.mark.parametrize('project', [200], indirect=True)
def test_200_tasks_killed_half_way_resume_without_doing_a_task_twice(
    backend: LocalBackend, project: dict[str, Any], model: Any, count_file: Path
) -> None:
    served = model(DELAY='0.01')
    params = {'project': project['id'], 'method': 'inference', 'inference_url': served.url, 'concurrency': 4}
    child = subprocess.Popen(
        [sys.executable, '-c', RUN_TO_TASK, str(INFERENCE_PLUGIN), str(backend.home), json.dumps(params)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while sum(calls(count_file).values()) < 100:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, 'the run never reached half-way'
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    tasks = {t['id']: t for t in backend.list_tasks({'project': project['id']})}
    assert len(tasks) == 200
    run_ids = {r['run_id'] for r in backend.db.query('SELECT DISTINCT run_id FROM run_items')}
    assert len(run_ids) == 1
    states = backend.list_item_states(run_ids.pop())
    done_before = {int(k) for k, s in states.items() if s['state'] == 'done'}
    assert 50 <= len(done_before) < 200  # killed half-way
    assert all(tasks[i]['status'] == 'submitted' for i in done_before)
    before = calls(count_file)
    assert all(before[image_of(tasks[i])] == 1 for i in done_before)

    sink = MemorySink()
    result = run_plugin(INFERENCE_PLUGIN, 'to_task', params, client=backend, sinks=[sink])
    assert result['status'] == 'succeeded' and result['failed_count'] == 0
    assert result['skipped_count'] == len(done_before) and result['success_count'] == 200 - len(done_before)

    after = calls(count_file)
    for task_id, task in tasks.items():
        image = image_of(task)
        if task_id in done_before:
            assert after[image] == 1, f'task {task_id} was done before the kill and ran again'
        else:
            assert after[image] >= 1
    in_flight_at_kill = sum(after.values()) - 200
    assert 0 <= in_flight_at_kill <= 4  # at most `concurrency` calls were cut off by the kill
    finished = list(backend.list_tasks({'project': project['id']}))
    assert all(t['status'] == 'submitted' and t['data']['images'][0]['bounding_box'] for t in finished)

    messages = {e.code: e.params for e in sink.events if e.kind == 'message'}
    assert messages['PRE_ANNOTATION_RESUMED'] == {
        'done': len(done_before),
        'total': 200,
        'todo': 200 - len(done_before),
    }
    assert messages['PRE_ANNOTATION_SUMMARY'] == {
        'done': 200 - len(done_before),
        'failed': 0,
        'skipped': len(done_before),
    }
    progress = [e.data for e in sink.events if e.kind == 'progress']
    assert progress[0]['current'] == len(done_before) and progress[-1]['percent'] == 100


def test_failures_are_recorded_with_the_reason_and_only_they_run_again(
    backend: LocalBackend, project: dict[str, Any], model: Any, count_file: Path, tmp_path: Path
) -> None:
    healed = tmp_path / 'healed'
    served = model(FAIL_MARK='img_003', HEALED=str(healed))
    params = {'project': project['id'], 'method': 'inference', 'inference_url': served.url, 'retries': 0}
    first = run_plugin(INFERENCE_PLUGIN, 'to_task', params, client=backend, sinks=[])
    assert (first['status'], first['success_count'], first['failed_count']) == ('partially_failed', 11, 1)
    (failure,) = first['failures']
    assert 'ServeActionError' in failure['error'] and 'ValueError: cannot read img_003.png' in failure['error']
    state = backend.list_item_states(first['run_id'])[str(failure['task_id'])]
    assert state['state'] == 'failed' and 'cannot read img_003.png' in state['reason']

    healed.touch()
    second = run_plugin(INFERENCE_PLUGIN, 'to_task', params, client=backend, sinks=[])
    assert (second['success_count'], second['skipped_count'], second['failed_count']) == (1, 11, 0)
    counted = calls(count_file)
    assert sorted(counted.values()) == [1] * 11 + [2]  # only the failed task was sent again
    assert backend.get_task(failure['task_id'])['status'] == 'submitted'


def test_transient_failures_are_retried(
    backend: LocalBackend, project: dict[str, Any], model: Any, count_file: Path
) -> None:
    served = model('flaky')
    params = {'project': project['id'], 'method': 'inference', 'inference_url': served.url, 'retry_backoff': 0.01}
    result = run_plugin(INFERENCE_PLUGIN, 'to_task', params, client=backend, sinks=[])
    assert result['status'] == 'succeeded' and result['success_count'] == 12
    assert set(calls(count_file).values()) == {2}  # every task: one 503, then one success
    states = backend.list_item_states(result['run_id'])
    assert {s['state'] for s in states.values()} == {'done'}
    labels = {t['data']['images'][0]['bounding_box'][0]['classification'] for t in backend.list_tasks()}
    assert labels == {'flaky'}


def test_resume_false_runs_everything_again(
    backend: LocalBackend, project: dict[str, Any], model: Any, count_file: Path
) -> None:
    served = model()
    params = {'project': project['id'], 'method': 'inference', 'inference_url': served.url}
    run_plugin(INFERENCE_PLUGIN, 'to_task', params, client=backend, sinks=[])
    again = run_plugin(INFERENCE_PLUGIN, 'to_task', {**params, 'resume': False}, client=backend, sinks=[])
    assert again['success_count'] == 12 and again['skipped_count'] == 0
    assert set(calls(count_file).values()) == {2}
