from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from synapse_sdk.core._credentials import Credentials, load_credentials, save_credentials
from synapse_sdk.core.errors import CredentialsError

TOKEN = 'tok-very-secret-123456'


def test_saved_file_is_private_and_merges(tmp_path: Path) -> None:
    env = {'SYNAPSE_HOME': str(tmp_path / 'home')}
    path = save_credentials(Credentials(host='https://a.example', access_token=TOKEN), environ=env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_credentials(Credentials(tenant='acme'), environ=env)
    assert json.loads(path.read_text()) == {'host': 'https://a.example', 'access_token': TOKEN, 'tenant': 'acme'}
    assert list(path.parent.glob('*.tmp')) == []


def test_environment_beats_file_and_explicit_beats_environment(tmp_path: Path) -> None:
    env = {'SYNAPSE_HOME': str(tmp_path)}
    save_credentials(Credentials(host='https://file', access_token='file-token', tenant='t1'), environ=env)
    env |= {'SYNAPSE_HOST': 'https://env', 'SYNAPSE_ACCESS_TOKEN': TOKEN}
    creds = load_credentials(environ=env)
    assert (creds.host, creds.access_token, creds.tenant) == ('https://env', TOKEN, 't1')
    assert load_credentials(host='https://arg', environ=env).host == 'https://arg'


def test_token_never_printed() -> None:
    creds = Credentials(host='h', access_token=TOKEN, tenant='t')
    assert TOKEN not in repr(creds) and TOKEN not in str(creds) and TOKEN not in f'{creds}'


def test_broken_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / 'config.json'
    path.write_text('{\n "host": "x",\n oops\n}')
    with pytest.raises(CredentialsError, match=r'config.json is not valid JSON \(line 3'):
        load_credentials(path=path, environ={})
