from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

SYNAPSE = Path(sys.executable).parent / 'synapse'
TOKEN = 'tok-never-print-me-9876'


def synapse(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}
    return subprocess.run(
        [str(SYNAPSE), *args], capture_output=True, text=True, env={**clean, 'SYNAPSE_HOME': str(home), **env}
    )


def test_login_saves_private_file_and_never_prints_the_token(tmp_path: Path) -> None:
    done = synapse('login', '--host', 'https://api.example.com/', '--token', TOKEN, '--tenant', 'acme', home=tmp_path)
    assert done.returncode == 0, done.stderr
    file = tmp_path / 'config.json'
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert json.loads(file.read_text()) == {'host': 'https://api.example.com', 'access_token': TOKEN, 'tenant': 'acme'}
    shown = synapse('config', 'show', home=tmp_path)
    assert 'https://api.example.com' in shown.stdout and 'acme' in shown.stdout and '<set>' in shown.stdout
    for output in (done.stdout, done.stderr, shown.stdout, shown.stderr):
        assert TOKEN not in output


def test_login_rejects_bad_input_without_traceback(tmp_path: Path) -> None:
    done = synapse('login', '--host', 'api.example.com', '--token', TOKEN, home=tmp_path)
    assert done.returncode == 1 and 'must start with http' in done.stderr and 'Traceback' not in done.stderr
    assert TOKEN not in done.stderr
    assert not (tmp_path / 'config.json').exists()


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    synapse('login', '--host', 'https://file.example', '--token', TOKEN, home=tmp_path)
    shown = synapse('config', 'show', home=tmp_path, SYNAPSE_HOST='https://env.example')
    assert 'https://env.example' in shown.stdout


def test_a_password_in_the_host_url_is_never_printed(tmp_path: Path) -> None:
    host = 'https://deploy:hunter2-host-pw@api.example.com'
    done = synapse('login', '--host', host, '--token', TOKEN, home=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = synapse('config', 'show', home=tmp_path)
    env_shown = synapse('config', 'show', home=tmp_path / 'empty', SYNAPSE_HOST=host, SYNAPSE_ACCESS_TOKEN=TOKEN)
    assert 'https://deploy:***@api.example.com' in shown.stdout and 'https://deploy:***@' in env_shown.stdout
    for output in (done.stdout, done.stderr, shown.stdout, shown.stderr, env_shown.stdout, env_shown.stderr):
        assert 'hunter2-host-pw' not in output and TOKEN not in output
    from synapse_sdk.core._credentials import load_credentials

    creds = load_credentials(path=tmp_path / 'config.json', environ={})
    assert creds.host == host  # still usable as given
    assert 'hunter2-host-pw' not in repr(creds)
