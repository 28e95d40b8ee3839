"""`synapse plugin run --mode task|job` and `synapse job status|logs|stop|wait` against the session head."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from synapse_sdk.cli._main import app
from synapse_sdk.ray.testing import LocalHead

runner = CliRunner()


def test_plugin_run_task_mode_in_korean(connected: LocalHead, echo_plugin: Path):
    result = runner.invoke(
        app,
        ['plugin', 'run', 'greet', '--path', str(echo_plugin), '--mode', 'task', '--address', connected.address,
         '-l', 'ko', '--params', '{"name": "CLI"}'],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == 'greeted'
    assert '안녕하세요 CLI' in result.stderr


def test_plugin_run_job_follow_then_job_commands(ray_head: LocalHead, echo_plugin: Path, tmp_path: Path):
    dash = ray_head.dashboard_address
    events_file = tmp_path / 'events.jsonl'
    result = runner.invoke(
        app,
        ['plugin', 'run', 'greet', '--path', str(echo_plugin), '--mode', 'job', '--address', dash,
         '-l', 'ko', '--params', '{"name": "잡"}', '--follow', '--events-file', str(events_file)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '안녕하세요 잡' in result.stderr
    recorded = [json.loads(line) for line in events_file.read_text(encoding='utf-8').splitlines()]
    assert recorded[0]['code'] == 'PLUGIN_RUN_STARTED' and recorded[-1]['code'] == 'PLUGIN_RUN_COMPLETE'
    assert '안녕하세요 잡' in [event['text'] for event in recorded]
    job_line = next(line for line in result.output.splitlines() if line.startswith('job_id: '))
    job_id = job_line.split(': ', 1)[1]
    assert json.loads(result.stdout.replace(job_line, '')) == 'greeted'

    status = runner.invoke(app, ['job', 'status', job_id, '--address', dash])
    assert status.exit_code == 0 and status.stdout.strip() == 'SUCCEEDED'
    logs = runner.invoke(app, ['job', 'logs', job_id, '-a', dash])
    assert logs.exit_code == 0 and '안녕하세요 잡' in logs.stdout
    followed = runner.invoke(app, ['job', 'logs', job_id, '-a', dash, '--follow'])
    assert followed.exit_code == 0 and '안녕하세요 잡' in followed.stdout
    waited = runner.invoke(app, ['job', 'wait', job_id, '-a', dash])
    assert waited.exit_code == 0 and json.loads(waited.stdout) == 'greeted'
    stop = runner.invoke(app, ['job', 'stop', job_id, '-a', dash])
    assert stop.exit_code == 0 and 'already finished' in stop.stdout


def test_unknown_job_is_one_clear_error(ray_head: LocalHead):
    result = runner.invoke(app, ['job', 'status', 'no-such-job', '--address', ray_head.dashboard_address])
    assert result.exit_code == 1
    assert 'No Ray job' in result.stderr and 'Traceback' not in result.output
