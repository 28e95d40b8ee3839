"""``synapse doctor`` names each problem with its fix, exits 1 when one must be fixed, never prints a token."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SYNAPSE = Path(sys.executable).parent / 'synapse'
TOKEN = 'sk-live-0123456789abcdef'


def doctor(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(('SYNAPSE_', 'RAY_'))}
    full.update({'SYNAPSE_HOME': str(home), 'NO_COLOR': '1', 'COLUMNS': '200', **env})
    return subprocess.run([str(SYNAPSE), 'doctor', *args], capture_output=True, text=True, env=full, timeout=60)


@pytest.fixture
def platform() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_healthy_environment_passes(tmp_path: Path, platform: str) -> None:
    storage = tmp_path / 'storage.json'
    storage.write_text(json.dumps({'provider': 'local', 'configuration': {'location': str(tmp_path / 'files')}}))
    done = doctor(tmp_path / 'home', '--storage', str(storage), SYNAPSE_HOST=platform, SYNAPSE_ACCESS_TOKEN=TOKEN)
    assert done.returncode == 0, done.stdout
    assert 'python' in done.stdout and 'distributions at' in done.stdout
    assert f'{platform} answers; token set' in done.stdout
    assert 'local storage reachable' in done.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_each_problem_has_its_fix(tmp_path: Path) -> None:
    home = tmp_path / 'home'
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    storage = tmp_path / 'storage.json'
    storage.write_text(json.dumps({'provider': 's3', 'configuration': {'bucket_name': 'b', 'endpoint_ur': 'x'}}))
    done = doctor(
        home, '--storage', str(storage), '--address', 'http://127.0.0.1:1', '--timeout', '0.5',
        SYNAPSE_HOST='http://127.0.0.1:1', SYNAPSE_ACCESS_TOKEN=TOKEN,
    )  # fmt: skip
    assert done.returncode == 1
    out = done.stdout
    assert f'fix: chmod 700 {home}' in out
    assert 'FAIL  platform' in out and 'is unreachable' in out
    assert 'FAIL  ray' in out and 'ray start --head' in out
    assert "did you mean 'endpoint_url'?" in out
    assert '4 problem(s) to fix' not in done.stderr  # the SYNAPSE_HOME mode is a warning, not a failure
    assert '3 problem(s) to fix' in done.stderr
    assert TOKEN not in out + done.stderr


def test_host_without_token(tmp_path: Path) -> None:
    done = doctor(tmp_path / 'home', SYNAPSE_HOST='http://127.0.0.1:1')
    assert done.returncode == 1
    assert 'has no access token' in done.stdout and 'synapse login' in done.stdout
