"""Through a real Ray head: the working_dir ships no secret file and no outside file, and secret
env values (by name *and* by shape, from config.yaml ``env`` and ``runtime_env.env_vars``) reach
the action but never the dashboard (jobs API, tasks and actors with their runtime_env)."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor
from synapse_sdk.ray.testing import LocalHead

SECRETS = {
    'DB_PASS': 'hunter2-db-pass-ray',
    'DATABASE_URL': 'postgresql://app:pw-dsn-ray-77@db.internal:5432/app',
    'SENTRY_DSN': 'https://5f1c2a9e0123456789abcdef01234567@o1.ingest.sentry.io/1',
    'SERVICE_TOKEN': 'tok-runtime-env-ray-42',
    'UPSTREAM': 'https://deploy:pw-upstream-ray@git.example.com/repo.git',
}
CONFIG = """\
name: Secret plugin
code: secret-plugin
version: 0.1.0
category: custom
env:
  DB_PASS: {DB_PASS}
  DATABASE_URL: {DATABASE_URL}
  SENTRY_DSN: {SENTRY_DSN}
  LOG_LEVEL: debug
runtime_env:
  env_vars:
    SERVICE_TOKEN: {SERVICE_TOKEN}
    WORKERS: '2'
actions:
  probe:
    entrypoint: secret_plugin.actions:probe
"""
ACTIONS = """\
import os

from synapse_sdk.plugins.decorators import action

NAMES = ['DB_PASS', 'DATABASE_URL', 'SENTRY_DSN', 'SERVICE_TOKEN', 'UPSTREAM', 'LOG_LEVEL', 'WORKERS']


@action(name='probe')
def probe(params, ctx):
    files, leaks = [], []
    for root, dirs, names in os.walk('.'):
        for name in dirs + names:
            path = os.path.relpath(os.path.join(root, name), '.')
            files.append(path)
            if os.path.isfile(path):
                with open(path, 'rb') as handle:
                    if b'leak' + b'-' in handle.read():
                        leaks.append(path)
    return {
        'files': sorted(files),
        'leaks': leaks,
        'environ': {n: os.environ.get(n) for n in NAMES},
        'ctx_env': {n: ctx.env.get(n) for n in NAMES},
    }
"""


def _dashboard_bodies(head: LocalHead, job_ids: list[str]) -> dict[str, str]:
    paths = ['/api/jobs/', *(f'/api/jobs/{i}' for i in job_ids), '/api/v0/tasks?detail=1', '/api/v0/actors?detail=1']
    bodies = {}
    for path in paths:
        with urllib.request.urlopen(head.dashboard_address + path, timeout=30) as response:
            bodies[path] = response.read().decode('utf-8')
    return bodies


def _check_result(result: dict[str, Any], shipped: list[str]) -> None:
    assert result['environ'] == {**SECRETS, 'LOG_LEVEL': 'debug', 'WORKERS': '2'}  # the action gets them all
    assert all(result['ctx_env'][name] == value for name, value in SECRETS.items())
    files = set(result['files'])
    assert {f for f in shipped if not f.endswith('.gitignore')} <= files  # Ray drops ignore files itself
    assert not [f for f in files if f.split('/')[-1].startswith(('.env', 'id_', 'leak')) or f.startswith('.')], files
    assert result['leaks'] == []


def _check_dashboard(bodies: dict[str, str]) -> None:
    for path, body in bodies.items():
        for name, value in SECRETS.items():
            assert value not in body, (path, name)
        for fragment in ('hunter2', 'pw-dsn-ray', 'pw-upstream-ray', '5f1c2a9e0123456789abcdef'):
            assert fragment not in body, (path, fragment)


@pytest.fixture
def secret_plugin_for_ray(secret_plugin: Path) -> Path:
    (secret_plugin / 'config.yaml').write_text(CONFIG.format(**SECRETS), encoding='utf-8')
    (secret_plugin / 'secret_plugin' / 'actions.py').write_text(ACTIONS, encoding='utf-8')
    shutil.rmtree(secret_plugin / 'secret_plugin' / '__pycache__', ignore_errors=True)
    return secret_plugin


def test_job_mode_ships_no_secret_and_shows_none(
    ray_head: LocalHead, secret_plugin_for_ray: Path, secret_plugin_facts: dict[str, Any]
) -> None:
    executor = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=secret_plugin_for_ray,
        env={'UPSTREAM': SECRETS['UPSTREAM']},
        include_credentials=False,
        sinks=[],
    )
    job_id = executor.submit('secret_plugin.actions:probe', {})
    result = executor.wait(job_id, timeout=180)
    _check_dashboard(_dashboard_bodies(ray_head, [job_id]))
    _check_result(result, secret_plugin_facts['shipped'])
    info = executor.info(job_id)
    shown_env = json.dumps(info['runtime_env'])
    assert info['runtime_env']['env_vars']['LOG_LEVEL'] == 'debug'
    assert not [name for name in SECRETS if name in shown_env]
    assert not [v for v in SECRETS.values() if v in info['entrypoint'] + json.dumps(info.get('metadata'))]


def test_task_mode_ships_no_secret_and_shows_none(
    connected: LocalHead, secret_plugin_for_ray: Path, secret_plugin_facts: dict[str, Any]
) -> None:
    executor = RayActorExecutor(
        address=connected.address,
        working_dir=secret_plugin_for_ray,
        env={'UPSTREAM': SECRETS['UPSTREAM']},
        include_credentials=False,
        sinks=[],
    )
    result = executor.execute('secret_plugin.actions:probe', {})
    _check_dashboard(_dashboard_bodies(connected, []))
    _check_result(result, secret_plugin_facts['shipped'])
