"""``synapse plugin publish`` ships no secret, says what it left out and why, stores no secret value
in the backend, and streams (memory flat in the file size)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._upload import archive_and_upload, publish_plugin
from synapse_sdk.utils.storage._providers.local import LocalStorage

CONFIG_WITH_ENV = """\
name: Secret plugin
code: secret-plugin
version: 0.1.0
category: custom
env:
  DB_PASS: hunter2-config-pass
  DATABASE_URL: postgresql://app:pw-config-dsn@db.internal/app
  SENTRY_DSN: https://0123456789abcdef@o1.ingest.sentry.io/1
  LOG_LEVEL: debug
runtime_env:
  env_vars:
    SERVICE_TOKEN: tok-config-runtime-env
    WORKERS: '2'
actions:
  files:
    entrypoint: secret_plugin.actions:files
"""


def cli() -> typer.Typer:
    from synapse_sdk.cli._backend_commands import register

    app, plugin = typer.Typer(), typer.Typer()
    register(None, None, plugin)
    app.add_typer(plugin, name='plugin')
    return app


def _zip_names(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_publish_to_the_backend_ships_no_secret_file(
    secret_plugin: Path, secret_plugin_facts: dict[str, Any], tmp_path: Path
) -> None:
    backend = LocalBackend(tmp_path / 'home')
    result = publish_plugin(secret_plugin, client=backend, use_git=False)
    assert result.files == secret_plugin_facts['shipped']
    release = backend.list_plugin_releases('secret-plugin')[0]
    members = _zip_names(backend.store.download(release['file']['key'], tmp_path / 'release.zip'))
    assert sorted(members) == secret_plugin_facts['shipped']
    assert not [n for n, data in members.items() if b'leak-' in data]


def test_archive_and_upload_to_storage_ships_no_secret_file(
    secret_plugin: Path, secret_plugin_facts: dict[str, Any], tmp_path: Path
) -> None:
    subprocess.run(['git', 'init', '-q', str(secret_plugin)], check=True)  # git lists them all as untracked
    storage = LocalStorage({'location': str(tmp_path / 'bucket')})
    uploaded = archive_and_upload(secret_plugin, storage)
    members = _zip_names(tmp_path / 'bucket' / uploaded.filename)
    assert sorted(members) == secret_plugin_facts['shipped']
    assert not [n for n, data in members.items() if b'leak-' in data]


def test_dry_run_lists_what_ships_and_what_is_excluded_with_the_rule(secret_plugin: Path, tmp_path: Path) -> None:
    env = {'SYNAPSE_HOME': str(tmp_path / 'home'), 'SYNAPSE_HOST': '', 'SYNAPSE_ACCESS_TOKEN': ''}
    done = CliRunner().invoke(cli(), ['plugin', 'publish', '--path', str(secret_plugin), '--dry-run'], env=env)
    assert done.exit_code == 0, done.output
    shipped, _, excluded = done.output.partition('Excluded')
    assert 'secret_plugin/actions.py' in shipped and '.env' not in shipped and 'leak' not in shipped
    for line in (
        '.env.local  [default exclude: .env.*]',
        '.aws/  [default exclude: .aws/]',
        'id_rsa  [default exclude: id_rsa*]',
        'data/scratch.tmp  [data/.gitignore: *.tmp]',
        'leak.txt  [symlink to outside the folder (not followed)]',
        'leak_dir  [symlink to outside the folder (not followed)]',
    ):
        assert line in excluded, done.output
    assert 'Dry run: nothing was uploaded.' in done.output
    assert not (tmp_path / 'home').exists() or LocalBackend(tmp_path / 'home' / 'local').list_plugin_releases() == []


def test_dry_run_shows_refused_files_and_publish_refuses_them(secret_plugin: Path, tmp_path: Path) -> None:
    key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA\n-----END OPENSSH PRIVATE KEY-----\n'
    (secret_plugin / 'secret_plugin' / 'deploy_key.txt').write_text(key)
    env = {'SYNAPSE_HOME': str(tmp_path / 'home'), 'SYNAPSE_HOST': '', 'SYNAPSE_ACCESS_TOKEN': ''}
    dry = CliRunner().invoke(cli(), ['plugin', 'publish', '--path', str(secret_plugin), '--dry-run'], env=env)
    assert dry.exit_code == 1
    assert 'secret_plugin/deploy_key.txt  [looks like a private key]' in dry.output
    real = CliRunner().invoke(cli(), ['plugin', 'publish', '--path', str(secret_plugin)], env=env)
    assert real.exit_code == 1 and 'Traceback' not in real.output
    assert 'refusing to pack' in real.output and '!secret_plugin/deploy_key.txt' in real.output
    assert LocalBackend(tmp_path / 'home' / 'local').list_plugin_releases() == []


def test_publish_stores_no_config_env_secret_in_the_local_backend(secret_plugin: Path, tmp_path: Path) -> None:
    (secret_plugin / 'config.yaml').write_text(CONFIG_WITH_ENV)
    backend = LocalBackend(tmp_path / 'home')
    result = publish_plugin(secret_plugin, client=backend, use_git=False)
    config = backend.list_plugin_releases('secret-plugin')[0]['config']
    assert config['env'] == {'DB_PASS': '***', 'DATABASE_URL': '***', 'SENTRY_DSN': '***', 'LOG_LEVEL': 'debug'}
    assert config['runtime_env']['env_vars'] == {'SERVICE_TOKEN': '***', 'WORKERS': '2'}
    dump = '\n'.join(sqlite3.connect(tmp_path / 'home' / 'backend.sqlite3').iterdump())
    for secret in ('hunter2-config-pass', 'pw-config-dsn', '0123456789abcdef', 'tok-config-runtime-env'):
        assert secret not in dump
    assert any('DB_PASS' in w and 'ships inside the archive' in w for w in result.warnings)


STREAMING_PROBE = """
import json, sys, tracemalloc
from pathlib import Path
from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._upload import publish_plugin

tracemalloc.start()
publish_plugin(Path(sys.argv[1]), client=LocalBackend(Path(sys.argv[2])), use_git=False)
print(json.dumps({'peak': tracemalloc.get_traced_memory()[1]}))
"""


def test_publish_streams_a_200_mb_file_with_flat_memory(secret_plugin: Path, tmp_path: Path) -> None:
    size = 200 * 1024 * 1024
    with open(secret_plugin / 'weights.bin', 'wb') as handle:  # sparse: no disk used, 200 MB to read
        handle.truncate(size)
    done = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(STREAMING_PROBE), str(secret_plugin), str(tmp_path / 'home')],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, 'SYNAPSE_HOME': str(tmp_path / 'home')},
    )
    assert done.returncode == 0, done.stderr
    peak = json.loads(done.stdout.strip().splitlines()[-1])['peak']
    assert peak < 32 * 1024 * 1024, f'publish peaked at {peak / 2**20:.1f} MiB of Python memory for a 200 MiB file'
