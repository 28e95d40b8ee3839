"""Credentials never show: not in repr/str, errors, logs, progress output, paths or URIs.

Each test drives a provider holding real secrets through successes and failures, collects every
string a user could see, and scans it for the secret values (raw, URL-quoted and base64).
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.storage import StorageError, get_pathlib, get_storage
from synapse_sdk.utils.storage._secrets import secret_variants

pytestmark = pytest.mark.integration


def _exercise(store: Any, config: dict[str, Any], files: Any, tmp_path: Path) -> list[str]:
    """Run successful and failing operations; return every user-visible string they produced."""
    seen = [repr(store), str(store)]
    progress: list[str] = []
    store.upload(files('ok.txt', b'fine'), 'ok.txt')
    store.upload_many([(files('m.txt'), 'm/m.txt')], progress=lambda done, total: progress.append(f'{done}/{total}'))
    seen += progress
    seen += [store.uri('ok.txt'), store.get_url('ok.txt'), str(store.list()), str(store.list_details(recursive=True))]
    path = get_pathlib(config, '/m')
    seen += [repr(path), str(path), str(dict(getattr(path, 'storage_options', {}))), str(sorted(path.rglob('*')))]
    seen.append(str(dict(store.fs.storage_options)))  # fsspec keeps constructor kwargs here
    for failing in (
        lambda: store.download('missing.txt', tmp_path / 'x'),
        lambda: store.read_bytes('missing/too.txt'),
        lambda: store.delete('missing.txt', missing_ok=False),
        lambda: store.exists('../escape'),
    ):
        with pytest.raises(StorageError) as info:
            failing()
        seen += [str(info.value), repr(info.value), str(info.value.details), str(info.value.args)]
    with pytest.raises(TypeError) as pickled:
        pickle.dumps(store)
    seen.append(str(pickled.value))
    return seen


def _wrong_credentials(config: dict[str, Any], secret_key: str, wrong: str, tmp_path: Path) -> list[str]:
    bad = {**config, 'configuration': {**config['configuration'], secret_key: wrong, 'retries': 0}}
    store = get_storage(bad)
    with pytest.raises(StorageError) as info:
        store.list()
    return [repr(store), str(info.value), repr(info.value), str(info.value.details)]


def _assert_clean(texts: list[str], secrets: list[str], caplog: pytest.LogCaptureFixture) -> None:
    logged = [record.getMessage() for record in caplog.records] + [caplog.text]
    variants = secret_variants(secrets)
    leaks = [(variant, text[:200]) for text in texts + logged for variant in variants if variant in text]
    assert leaks == []


@pytest.mark.parametrize('provider', ['s3', 'sftp', 'http'])
def test_no_secret_in_anything_a_user_sees(
    provider: str, request: pytest.FixtureRequest, tmp_path: Path, files: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from synapse_sdk.utils.storage._secrets import MASK

    config = request.getfixturevalue('provider_config_for')(provider)
    secret_key = {'s3': 'secret_key', 'sftp': 'password', 'http': 'password'}[provider]
    secret = config['configuration'][secret_key]
    wrong = 'Wrong-secret-' + secret[::-1]
    caplog.set_level(logging.DEBUG)  # every library logger, botocore/asyncssh/aiohttp included
    store = get_storage(config)
    try:
        texts = _exercise(store, config, files, tmp_path)
        texts += _wrong_credentials(config, secret_key, wrong, tmp_path)
        assert MASK in repr(store)
    finally:
        store.delete('', recursive=True)
    _assert_clean(texts, [secret, wrong], caplog)


def test_http_credentials_in_the_base_url_are_moved_out_of_it(
    nginx_dav: dict[str, Any], tmp_path: Path, files: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user, password = nginx_dav['username'], nginx_dav['password']
    base = nginx_dav['base_url'].replace('http://', f'http://{user}:{password}@') + 'embedded/'
    config = {'provider': 'https', 'configuration': {'base_url': base}}
    caplog.set_level(logging.DEBUG)
    store = get_storage(config)
    texts = _exercise(store, config, files, tmp_path)
    assert store.read_bytes('ok.txt') == b'fine'  # the credentials still authenticate
    store.delete('', recursive=True)
    _assert_clean(texts, [password], caplog)


def test_invalid_configuration_errors_name_keys_not_values() -> None:
    secret = 'Very-secret-value-123'
    with pytest.raises(StorageError) as info:
        get_storage({'provider': 's3', 'configuration': {'secret_key': secret, 'access_key': 'AKIA'}})
    assert 'bucket_name' in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value.details)
    with pytest.raises(StorageError) as info:
        get_storage(
            {'provider': 'sftp', 'configuration': {'host': 'h', 'username': 'u', 'password': secret, 'port': 'x'}}
        )
    assert 'port' in str(info.value) and secret not in str(info.value)
