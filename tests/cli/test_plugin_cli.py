"""The ``synapse`` command, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / 'examples' / 'yolo_plugin'
SYNAPSE = Path(sys.executable).parent / 'synapse'


def synapse(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != 'SYNAPSE_LANGUAGE'}
    full_env.update({'NO_COLOR': '1', 'COLUMNS': '200', **(env or {})})
    return subprocess.run([str(SYNAPSE), *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120)


def assert_user_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, done
    assert 'Traceback' not in done.stderr
    for needle in needles:
        assert needle in done.stderr


def test_version() -> None:
    done = synapse('--version')
    assert done.returncode == 0 and done.stdout.startswith('synapse-sdk ')


def test_readme_main_job_command() -> None:
    done = synapse('plugin', 'run', 'train', '--path', 'examples/yolo_plugin', '--params', '{"epochs": 2}', cwd=REPO)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result['epochs'] == 2 and 0 < result['accuracy'] < 1
    assert "Running action 'train'" in done.stderr and 'Plugin run is complete.' in done.stderr


def test_run_from_inside_the_plugin_folder_in_korean() -> None:
    done = synapse('plugin', 'run', 'train', '-l', 'ko', '--params', '{"epochs": 1}', cwd=EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert '학습을 시작합니다' in done.stderr and '플러그인 실행이 완료되었습니다.' in done.stderr
    done = synapse('plugin', 'run', 'train', '--lang=ko', cwd=EXAMPLE, env={'SYNAPSE_LANGUAGE': 'en'})
    assert '에포크' in done.stderr


def test_language_from_environment() -> None:
    done = synapse('plugin', 'run', 'export', cwd=EXAMPLE, env={'SYNAPSE_LANGUAGE': 'ko'})
    assert done.returncode == 0 and "'export' 액션을 실행합니다" in done.stderr


def test_params_from_file_env_and_events_file(tmp_path: Path) -> None:
    params = tmp_path / 'params.json'
    params.write_text('{"images": ["a.jpg"], "confidence": 0.1}')
    events = tmp_path / 'events.jsonl'
    done = synapse(
        'plugin',
        'run',
        'infer',
        '--params',
        f'@{params}',
        '--events-file',
        str(events),
        '-q',
        '--env',
        'A=1',
        cwd=EXAMPLE,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)['predictions'][0]['image'] == 'a.jpg'
    assert done.stderr == ''
    kinds = [json.loads(line)['kind'] for line in events.read_text().splitlines()]
    assert kinds[0] == 'message' and 'progress' in kinds


@pytest.mark.parametrize(
    ('args', 'needles'),
    [
        (['--params', '{"epochs": 2'], ['--params is not valid JSON (line 1, column 13)']),
        (['--params', '[1, 2]'], ['must be a JSON object']),
        (['--params', '{"epochs": 0, "batch_size": "many"}'], ['epochs:', 'batch_size:']),
        (['--params', '@/nonexistent/params.json'], ['does not exist']),
        (['--env', 'NOEQUALS'], ['--env expects KEY=VALUE']),
    ],
)
def test_user_mistakes_exit_1_without_traceback(args: list[str], needles: list[str]) -> None:
    assert_user_error(synapse('plugin', 'run', 'train', *args, cwd=EXAMPLE), *needles)


def test_unknown_action_and_missing_config(tmp_path: Path) -> None:
    assert_user_error(
        synapse('plugin', 'run', 'trian', cwd=EXAMPLE), "Action 'trian' not found", 'train, infer, export'
    )
    assert_user_error(synapse('plugin', 'run', 'train', cwd=tmp_path), 'No config.yaml')


def test_action_crash_shows_the_plugins_own_traceback(tmp_path: Path) -> None:
    (tmp_path / 'p').mkdir()
    (tmp_path / 'p' / '__init__.py').write_text('')
    (tmp_path / 'p' / 'a.py').write_text(
        'from synapse_sdk.plugins.decorators import action\n\n@action(name="crash")\ndef crash(params, ctx):\n'
        '    return 1 / 0\n'
    )
    (tmp_path / 'config.yaml').write_text('name: C\ncode: c\nactions:\n  crash: {entrypoint: p.a.crash}\n')
    done = synapse('plugin', 'run', 'crash', cwd=tmp_path)
    assert done.returncode == 1
    assert "Error: Action 'crash' failed: ZeroDivisionError" in done.stderr
    assert 'p/a.py' in done.stderr and 'synapse_sdk/cli' not in done.stderr


def test_list_and_describe() -> None:
    done = synapse('plugin', 'list', cwd=EXAMPLE)
    assert done.returncode == 0
    for needle in ('train', 'infer', 'export', 'plugin.inference:InferAction', 'job', 'task'):
        assert needle in done.stdout
    done = synapse('plugin', 'describe', 'train', cwd=EXAMPLE)
    described = json.loads(done.stdout)
    assert described['method'] == 'job'
    assert described['params_schema']['properties']['epochs']['minimum'] == 1


@pytest.mark.parametrize('category', ['custom', 'post_annotation', 'data_validation'])
def test_create_scaffolds_a_runnable_plugin(tmp_path: Path, category: str) -> None:
    # Categories with a base class get it (tests/cli/test_scaffolds.py); these get the generic action.
    target = tmp_path / 'new'
    done = synapse('plugin', 'create', '--path', str(target), '--name', 'My Plugin', '--category', category)
    assert done.returncode == 0, done.stderr
    listed = synapse('plugin', 'list', cwd=target)
    first = listed.stdout.split('┃ action')[0]
    assert 'my-plugin' in first
    action = {'data_validation': 'validate'}.get(category, 'run')
    done = synapse('plugin', 'run', action, '--params', '{"items": 2}', '-q', cwd=target)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {'processed': 2}


def test_create_refuses_a_non_empty_folder_and_unknown_category(tmp_path: Path) -> None:
    (tmp_path / 'x').mkdir()
    (tmp_path / 'x' / 'keep.txt').write_text('mine')
    assert_user_error(synapse('plugin', 'create', '--path', str(tmp_path / 'x'), '--name', 'X'), 'not empty')
    assert_user_error(
        synapse('plugin', 'create', '--path', str(tmp_path / 'y'), '--name', 'Y', '-c', 'robots'), 'Unknown category'
    )


def test_unsupported_language_warns_in_one_line_and_runs_in_english() -> None:
    done = synapse(
        'plugin', 'run', 'train', '--path', 'examples/yolo_plugin', '--params', '{"epochs": 1}', '-l', 'fr', cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if 'fr' in line and 'language' in line]
    assert warning == [
        "Warning: language 'fr' is not a supported language; messages are in English (supported: en, ko)"
    ]
    assert 'Training started' in done.stderr
