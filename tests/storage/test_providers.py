"""Provider-specific behaviour on the real servers: credentials, URLs, authentication modes."""

from __future__ import annotations

import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.storage import FsspecStorage, StoragePermissionError, get_storage

pytestmark = pytest.mark.integration


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def test_s3_presigned_url_downloads_without_credentials(provider_config_for: Any) -> None:
    store = get_storage(provider_config_for('s3'))
    store.write_bytes('shared/report.txt', b'presigned')
    url = store.get_url('shared/report.txt', expires=60)
    assert 'X-Amz-Signature=' in url and 'X-Amz-Expires=60' in url
    assert _fetch(url) == b'presigned'
    store.delete('', recursive=True)


def test_s3_wrong_secret_is_a_permission_error(provider_config_for: Any) -> None:
    config = provider_config_for('s3')
    config['configuration']['secret_key'] = 'not-the-secret'
    with pytest.raises(StoragePermissionError, match='check the credentials'):
        get_storage(config).list()


def test_s3_root_path_isolates_prefixes(seaweedfs: dict[str, Any]) -> None:
    keys = ('endpoint_url', 'access_key', 'secret_key', 'bucket_name')
    first = get_storage(
        {'provider': 'minio', 'configuration': {**{k: seaweedfs[k] for k in keys}, 'root_path': 'iso-a'}}
    )
    second = get_storage(
        {'provider': 'amazon_s3', 'configuration': {**{k: seaweedfs[k] for k in keys}, 'root_path': 'iso-b'}}
    )
    first.write_bytes('same.txt', b'a')
    second.write_bytes('same.txt', b'b')
    assert (first.read_bytes('same.txt'), second.read_bytes('same.txt')) == (b'a', b'b')
    assert first.uri('same.txt') == f's3://{seaweedfs["bucket_name"]}/iso-a/same.txt'
    first.delete('', recursive=True)
    assert second.exists('same.txt')  # deleting a root never reaches a sibling prefix or the bucket
    second.delete('', recursive=True)


def test_gcs_emulator_url_serves_the_object(provider_config_for: Any) -> None:
    store = get_storage(provider_config_for('gcs'))
    store.write_bytes('pub/x.json', b'{"ok": true}')
    assert store.uri('pub/x.json').startswith('gs://synapse-test/')
    assert _fetch(store.get_url('pub/x.json')) == b'{"ok": true}'
    store.delete('', recursive=True)


def test_sftp_private_key_authentication(sshd: dict[str, Any], tmp_path: Path) -> None:
    root = f'{sshd["home"]}/key-{uuid.uuid4().hex[:8]}'
    store = get_storage(
        {
            'provider': 'sftp',
            'configuration': {
                'host': sshd['host'], 'port': sshd['port'], 'username': sshd['username'],
                'private_key': sshd['private_key'], 'root_path': root, 'host_key': sshd['host_key'],
            },
        }
    )  # fmt: skip
    store.write_bytes('k.txt', b'key auth')
    assert store.read_bytes('k.txt') == b'key auth'
    assert store.uri('k.txt') == f'sftp://{sshd["username"]}@{sshd["host"]}:{sshd["port"]}{root}/k.txt'
    store.delete('', recursive=True)


def test_sftp_wrong_password_is_a_permission_error(provider_config_for: Any) -> None:
    config = provider_config_for('sftp')
    config['configuration']['password'] = 'wrong-password'
    with pytest.raises(StoragePermissionError):
        get_storage(config).list()


def test_http_wrong_password_is_a_permission_error(provider_config_for: Any) -> None:
    config = provider_config_for('http')
    config['configuration']['password'] = 'wrong-password'
    with pytest.raises(StoragePermissionError, match='401'):
        get_storage(config).write_bytes('x.txt', b'x')


def test_http_files_are_served_to_plain_clients(provider_config_for: Any, nginx_dav: dict[str, Any]) -> None:
    store = get_storage(provider_config_for('http'))
    store.write_bytes('dir/file name.txt', b'spaces ok')
    assert store.uri('dir/file name.txt').endswith('/dir/file%20name.txt')
    relative = store.uri('dir/file name.txt')[len(nginx_dav['base_url']) :]
    from urllib.parse import unquote

    assert (nginx_dav['data'] / unquote(relative)).read_bytes() == b'spaces ok'  # really on the server's disk
    assert store.list('dir') == ['dir/file name.txt']
    store.delete('', recursive=True)


@pytest.mark.parametrize('provider', ['s3', 'gcs'])
def test_clearing_a_whole_bucket_keeps_the_bucket(provider: str, provider_config_for: Any) -> None:
    config = provider_config_for(provider)
    config['configuration'].pop('root_path')  # the storage root is the bucket itself
    config['configuration']['bucket_name'] = f'clear-{uuid.uuid4().hex[:8]}'
    store = get_storage(config)
    assert isinstance(store, FsspecStorage)
    store.fs.mkdir(config['configuration']['bucket_name'])
    store.write_bytes('a.txt', b'a')
    store.write_bytes('deep/b.txt', b'b')
    store.delete('', recursive=True)
    assert store.list(recursive=True) == []  # (SeaweedFS drops emptied folders a moment later)
    store.write_bytes('still-works.txt', b'the bucket is still there')
    assert store.list(recursive=True) == ['still-works.txt']
