"""Transient failures are retried within a budget; a vanished server leaves nothing half-written."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from synapse_sdk.utils.storage import StorageConnectionError, StorageError, get_storage

pytestmark = pytest.mark.integration


def _stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(base + '/_stats', timeout=5) as response:
        return dict(json.loads(response.read()))


def test_http_retries_503s_and_succeeds(flaky_http: Any, files: Any) -> None:
    base = flaky_http(3)
    store = get_storage({'provider': 'http', 'configuration': {'base_url': base + '/files/', 'retries': 3}})
    for i in range(6):
        store.upload(files(f'r{i}.txt', f'retry {i}'.encode()), f'r/r{i}.txt')
    assert [store.read_bytes(f'r/r{i}.txt') for i in range(6)] == [f'retry {i}'.encode() for i in range(6)]
    assert all(store.exists(f'r/r{i}.txt') for i in range(6))
    assert store.list('r') == [f'r/r{i}.txt' for i in range(6)]
    assert _stats(base)['failed'] >= 5  # the server really did refuse some requests


def test_http_retry_budget_is_bounded(flaky_http: Any, files: Any) -> None:
    base = flaky_http(1)  # every request answers 503
    store = get_storage({'provider': 'http', 'configuration': {'base_url': base + '/files/', 'retries': 2}})
    started = time.monotonic()
    with pytest.raises(StorageConnectionError, match='503'):
        store.upload(files('x.txt'), 'x.txt')
    assert time.monotonic() - started < 10
    assert _stats(base)['requests'] == 3  # one try + two retries, no hidden extra loops


def test_s3_server_gone_mid_upload_leaves_no_object(seaweedfs: dict[str, Any], proxy: Any, tmp_path: Path) -> None:
    port = urlsplit(seaweedfs['endpoint_url']).port
    assert port
    _, proxy_port = proxy(port, die_after=12 * 1024 * 1024)
    keys = ('access_key', 'secret_key', 'bucket_name')
    prefix = f'gone-{uuid.uuid4().hex[:8]}'
    base = {k: seaweedfs[k] for k in keys} | {'root_path': prefix, 'retries': 1, 'connect_timeout': 2}
    via_proxy = get_storage(
        {'provider': 's3', 'configuration': base | {'endpoint_url': f'http://127.0.0.1:{proxy_port}'}}
    )
    direct = get_storage({'provider': 's3', 'configuration': base | {'endpoint_url': seaweedfs['endpoint_url']}})
    big = tmp_path / 'big.bin'
    big.write_bytes(os.urandom(40 * 1024 * 1024))  # multipart: 5 parts of 8 MiB
    with pytest.raises(StorageError) as info:
        via_proxy.upload(big, 'big.bin')
    assert 'big.bin' in str(info.value) and 's3 upload' in str(info.value)
    assert not direct.exists('big.bin')
    assert direct.list() == []


def test_sftp_server_gone_mid_upload_leaves_no_file(sshd: dict[str, Any], proxy: Any, tmp_path: Path) -> None:
    _, proxy_port = proxy(sshd['port'], die_after=6 * 1024 * 1024)
    root = f'{sshd["home"]}/gone-{uuid.uuid4().hex[:8]}'
    base = {
        'host': sshd['host'], 'username': sshd['username'], 'password': sshd['password'], 'root_path': root,
        'host_key': sshd['host_key'],
    }  # fmt: skip
    via_proxy = get_storage(
        {'provider': 'sftp', 'configuration': base | {'port': proxy_port, 'retries': 1, 'timeout': 5}}
    )
    direct = get_storage({'provider': 'sftp', 'configuration': base | {'port': sshd['port']}})
    direct.write_bytes('keep.txt', b'k')
    big = tmp_path / 'big.bin'
    big.write_bytes(os.urandom(20 * 1024 * 1024))
    with pytest.raises(StorageConnectionError, match='sftp upload'):
        via_proxy.upload(big, 'big.bin')
    assert not direct.exists('big.bin')
    assert 'big.bin' not in direct.list()
    direct.delete('', recursive=True)


def test_http_server_gone_mid_upload_leaves_no_file(nginx_dav: dict[str, Any], proxy: Any, tmp_path: Path) -> None:
    port = urlsplit(nginx_dav['base_url']).port
    assert port
    _, proxy_port = proxy(port, die_after=6 * 1024 * 1024)
    unique = f'gone-{uuid.uuid4().hex[:8]}/'
    auth = {'username': nginx_dav['username'], 'password': nginx_dav['password'], 'retries': 1, 'timeout': 5}
    via_proxy = get_storage(
        {'provider': 'http', 'configuration': auth | {'base_url': f'http://127.0.0.1:{proxy_port}/{unique}'}}
    )
    direct = get_storage({'provider': 'http', 'configuration': auth | {'base_url': nginx_dav['base_url'] + unique}})
    big = tmp_path / 'big.bin'
    big.write_bytes(os.urandom(20 * 1024 * 1024))
    with pytest.raises(StorageError, match='http upload'):
        via_proxy.upload(big, 'big.bin')
    assert not direct.exists('big.bin')


def test_sftp_reconnects_after_the_connection_drops(sshd: dict[str, Any], proxy: Any, files: Any) -> None:
    forwarder, proxy_port = proxy(sshd['port'])
    root = f'{sshd["home"]}/reconnect-{uuid.uuid4().hex[:8]}'
    store = get_storage(
        {
            'provider': 'sftp',
            'configuration': {
                'host': sshd['host'], 'port': proxy_port, 'username': sshd['username'],
                'private_key': sshd['private_key'], 'root_path': root, 'timeout': 5, 'host_key': sshd['host_key'],
            },
        }
    )  # fmt: skip
    store.upload(files('one.txt', b'1'), 'one.txt')
    forwarder.stop()  # every open SSH connection through it dies
    proxy(sshd['port'], port=proxy_port)  # the server is back
    store.upload(files('two.txt', b'2'), 'two.txt')
    assert store.list() == ['one.txt', 'two.txt']
    assert store.read_bytes('one.txt') == b'1'
    store.delete('', recursive=True)


def test_s3_sees_writes_from_another_process(seaweedfs: dict[str, Any], files: Any) -> None:
    import subprocess

    config = {
        'provider': 's3',
        'configuration': {
            **{k: seaweedfs[k] for k in ('endpoint_url', 'access_key', 'secret_key', 'bucket_name')},
            'root_path': f'xproc-{uuid.uuid4().hex[:8]}',
        },
    }
    store = get_storage(config)
    assert store.list() == [] and not store.exists('later.txt')
    code = (
        'import json, sys\nfrom synapse_sdk.utils.storage import get_storage\n'
        "get_storage(json.loads(sys.argv[1])).write_bytes('later.txt', b'from elsewhere')"
    )
    subprocess.run([sys.executable, '-c', code, json.dumps(config)], check=True, timeout=60)
    assert store.exists('later.txt')
    assert store.list() == ['later.txt']
    assert store.read_bytes('later.txt') == b'from elsewhere'
    store.delete('', recursive=True)


def test_s3_retry_budget_is_bounded(flaky_http: Any) -> None:
    """botocore retries 5xx; s3fs's own x5 loop must not multiply the budget."""
    base = flaky_http(1)  # an "S3 endpoint" that answers 503 to everything
    config = {'bucket_name': 'b', 'access_key': 'k', 'secret_key': 's', 'endpoint_url': base, 'retries': 2}
    store = get_storage({'provider': 's3', 'configuration': config})
    started = time.monotonic()
    with pytest.raises(StorageConnectionError, match='s3 list'):
        store.list()
    assert time.monotonic() - started < 30
    assert _stats(base)['requests'] == 3
