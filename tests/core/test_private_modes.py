"""SYNAPSE_HOME and what it holds are private: folders 0700, files 0600, wider modes tightened."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.core._credentials import load_credentials

SYNAPSE = Path(sys.executable).parent / 'synapse'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _walk(root: Path) -> list[Path]:
    return [root, *sorted(root.rglob('*'))]


def test_a_fresh_home_is_private_from_login_to_stored_models(tmp_path: Path) -> None:
    home = tmp_path / 'home'
    env = {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}
    done = subprocess.run(
        [str(SYNAPSE), 'login', '--host', 'https://api.example.com', '--token', 'tok'],
        env={**env, 'SYNAPSE_HOME': str(home)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    weights = tmp_path / 'w.bin'
    weights.write_bytes(b'123')
    os.chmod(weights, 0o644)
    backend = LocalBackend(env={'SYNAPSE_HOME': str(home)})
    backend.create_model(weights, name='m1')
    paths = _walk(home)
    assert any(p.name == 'backend.sqlite3' for p in paths) and any(p.name == 'w.bin' for p in paths)
    assert any(p.name.endswith('-wal') for p in paths)
    for path in paths:
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) == expected, (path, oct(mode(path)))


def test_existing_wide_modes_are_tightened_when_opened(tmp_path: Path) -> None:
    home = tmp_path / 'home'
    (home / 'local' / 'storage').mkdir(parents=True)
    (home / 'config.json').write_text('{"host": "https://h", "access_token": "t"}')
    (home / 'local' / 'backend.sqlite3').write_bytes(b'')
    for path in _walk(home):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert load_credentials(environ={'SYNAPSE_HOME': str(home)}).access_token == 't'
    assert mode(home) == 0o700 and mode(home / 'config.json') == 0o600
    LocalBackend(env={'SYNAPSE_HOME': str(home)})
    for path in _walk(home):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(mode(path)))
