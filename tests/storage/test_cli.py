"""``synapse storage ls|upload|download|du`` on a real storage, through the installed CLI app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synapse_sdk.cli._main import app

runner = CliRunner()


def _write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / 'storage.json'
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / 'dataset'
    for rel, data in {'a.txt': b'aaa', 'img/1.jpg': b'x' * 100, 'img/deep/2.jpg': b'y' * 1000}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


outputs: list[Any] = []


def _run(*args: str) -> Any:
    result = runner.invoke(app, ['storage', *args])
    outputs.append(result)
    return result


@pytest.mark.parametrize('provider', ['local', pytest.param('s3', marks=pytest.mark.integration)])
def test_upload_ls_du_download_round_trip(provider: str, provider_config_for: Any, tmp_path: Path, tree: Path) -> None:
    settings = provider_config_for(provider)
    secret = settings['configuration'].get('secret_key')
    config = _write_config(tmp_path, settings)
    result = _run('upload', str(config), str(tree), 'ds')
    assert result.exit_code == 0, result.output
    assert 'uploaded 3 files' in result.output

    result = _run('ls', str(config), 'ds')
    assert result.output.split() == ['ds/a.txt', 'ds/img/']
    result = _run('ls', str(config), 'ds', '-r', '-l')
    assert '1000  ds/img/deep/2.jpg' in result.output

    result = _run('du', str(config), 'ds', '--bytes')
    assert result.exit_code == 0 and result.output.startswith('3 files, 1103 bytes')

    out = tmp_path / 'back'
    result = _run('download', str(config), 'ds/img', str(out), '-q')
    assert result.exit_code == 0, result.output
    assert (out / 'deep' / '2.jpg').read_bytes() == b'y' * 1000 and (out / '1.jpg').exists()

    single = tmp_path / 'single.txt'
    result = _run('download', str(config), 'ds/a.txt', str(single))
    assert result.exit_code == 0 and single.read_bytes() == b'aaa'

    result = _run('ls', str(config), '../outside')
    assert result.exit_code == 1
    if secret:  # nothing printed, progress bars and errors included, shows the secret
        assert all(secret not in r.output for r in outputs)


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        (['ls', 'missing.json'], 'cannot read the storage configuration'),
        (['du', '{bad}'], 'not valid JSON'),
        (['ls', '{unknown}'], "storage provider 'ftp' not found"),
        (['upload', '{good}', 'nope.txt'], 'does not exist'),
        (['download', '{good}', 'never.txt'], 'does not exist'),
        (['ls', '{good}', '../../etc'], 'outside the storage root'),
    ],
)
def test_mistakes_print_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / 'bad.json').write_text('{"provider": ')
    (tmp_path / 'unknown.json').write_text('{"provider": "ftp", "configuration": {}}')
    (tmp_path / 'good.json').write_text(
        json.dumps({'provider': 'local', 'configuration': {'location': str(tmp_path / 'r')}})
    )
    names = {'{bad}': 'bad.json', '{unknown}': 'unknown.json', '{good}': 'good.json'}
    result = runner.invoke(app, ['storage', *[str(tmp_path / names[a]) if a in names else a for a in args]])
    assert result.exit_code == 1
    assert message in result.output
    assert 'Traceback' not in result.output
