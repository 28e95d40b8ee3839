"""The seed's storage API, the provider registry and local-only guarantees (no server needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import synapse_sdk.utils.storage as storage_module
from synapse_sdk.core.errors import MissingDependencyError
from synapse_sdk.utils.storage import (
    LocalStorage,
    PathEscapeError,
    StorageConfigError,
    StorageError,
    StorageProtocol,
    StorageProviderNotFoundError,
    get_path_file_count,
    get_path_total_size,
    get_pathlib,
    get_storage,
)
from synapse_sdk.utils.storage._keys import normalise_key


def test_seed_example_runs_as_written(tmp_path: Path) -> None:
    source = tmp_path / 'file.txt'
    source.write_text('seed')
    config = {'provider': 'local', 'configuration': {'location': str(tmp_path / 'data')}}
    storage = get_storage(config)
    url = storage.upload(Path(source), 'uploads/file.txt')
    assert url == (tmp_path / 'data' / 'uploads' / 'file.txt').resolve().as_uri()
    assert storage.exists('uploads/file.txt')
    path = get_pathlib(config, '/uploads')
    assert [p.name for p in path.rglob('*.txt')] == ['file.txt']
    assert get_path_file_count(config, '/uploads') == 1
    assert get_path_total_size(config, '/uploads') == 4


@pytest.mark.parametrize(
    ('name', 'cls'),
    [
        ('local', 'LocalStorage'), ('file_system', 'LocalStorage'),
        ('s3', 'S3Storage'), ('amazon_s3', 'S3Storage'), ('minio', 'S3Storage'),
        ('gcs', 'GCSStorage'), ('gs', 'GCSStorage'), ('gcp', 'GCSStorage'),
        ('sftp', 'SFTPStorage'), ('http', 'HTTPStorage'), ('https', 'HTTPStorage'),
    ],
)  # fmt: skip
def test_every_documented_provider_name_and_alias(name: str, cls: str) -> None:
    assert storage_module.get_provider_class(name) is getattr(storage_module, cls)


def test_seed_provider_configurations_are_accepted(tmp_path: Path) -> None:
    seed = [
        {'provider': 'local', 'configuration': {'location': str(tmp_path)}},
        {'provider': 's3', 'configuration': {
            'bucket_name': 'my-bucket', 'access_key': 'AKIAIOSFODNN7EXAMPLE',
            'secret_key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'region_name': 'us-east-1',
            'endpoint_url': 'http://minio:9000'}},
        {'provider': 'gcs', 'configuration': {
            'bucket_name': 'my-bucket', 'credentials': '/path/to/service-account.json'}},
        {'provider': 'sftp', 'configuration': {
            'host': 'sftp.example.com', 'username': 'user', 'password': 'secret', 'root_path': '/data'}},
        {'provider': 'http', 'configuration': {'base_url': 'https://files.example.com/uploads/', 'timeout': 60}},
    ]  # fmt: skip
    for config in seed:  # building a provider connects lazily: no server is contacted here
        store = get_storage(config)
        assert isinstance(store, StorageProtocol)
        assert 'wJalrXUtnFEMI' not in repr(store) and "'secret'" not in repr(store)
    s3 = get_storage(seed[1])
    assert s3.uri('a/b.txt') == 's3://my-bucket/a/b.txt'
    assert get_storage(seed[3]).uri('x.txt') == 'sftp://user@sftp.example.com:22/data/x.txt'
    assert get_storage(seed[4]).uri('a b.txt') == 'https://files.example.com/uploads/a%20b.txt'


def test_url_string_configs_fail_with_the_dict_form() -> None:
    with pytest.raises(StorageConfigError) as info:
        get_storage('s3://bucket?access_key=x')
    assert "get_storage({'provider': 's3', 'configuration': {" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize('bad', [{}, {'provider': ''}, {'provider': 'local', 'configuration': 3}, 42])
def test_malformed_configs_are_config_errors(bad: Any) -> None:
    with pytest.raises(StorageConfigError):
        get_storage(bad)


def test_unknown_provider_lists_the_available_ones() -> None:
    with pytest.raises(StorageProviderNotFoundError) as info:
        get_storage({'provider': 'ftp', 'configuration': {}})
    assert 'minio' in str(info.value) and isinstance(info.value, LookupError)
    assert 'sftp' in info.value.details['available']


def test_v1_class_names_point_at_the_new_ones() -> None:
    with pytest.raises(AttributeError, match='LocalStorage'):
        storage_module.FileSystemStorage  # noqa: B018
    with pytest.raises(AttributeError, match='GCSStorage'):
        storage_module.GCPStorage  # noqa: B018


def test_importing_storage_loads_no_backend_library() -> None:
    code = (
        'import sys, synapse_sdk.utils.storage as s\n'
        "s.get_storage({'provider': 's3', 'configuration': {'bucket_name': 'b'}})\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(
        subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert loaded.isdisjoint({'s3fs', 'gcsfs', 'sshfs', 'aiohttp', 'botocore', 'upath', 'obstore'})


def test_missing_backend_library_gives_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None if name == 'gcsfs' else real(name, *a))
    with pytest.raises(MissingDependencyError) as info:
        get_storage({'provider': 'gcp', 'configuration': {'bucket_name': 'b'}})
    assert 'pip install "synapse-sdk[gcs]"' in str(info.value)
    assert isinstance(info.value, ImportError)


@pytest.mark.parametrize(
    ('key', 'expected'),
    [
        ('a/b.txt', 'a/b.txt'),
        ('/a/b.txt', 'a/b.txt'),
        ('a//./b.txt', 'a/b.txt'),
        ('a/x/../b.txt', 'a/b.txt'),
        ('/', ''),
    ],
)
def test_key_normalisation(key: str, expected: str) -> None:
    assert normalise_key(key) == expected


@pytest.mark.parametrize('key', ['..', '../x', 'a/../../x', '/../x', 'a\x00b'])
def test_keys_leaving_the_root_are_refused(key: str) -> None:
    with pytest.raises(PathEscapeError):
        normalise_key(key)


def test_local_symlinks_cannot_reach_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.txt').write_text('do not read')
    root = tmp_path / 'root'
    store = LocalStorage({'location': str(root)})
    os.symlink(outside, root / 'link')
    os.symlink(outside / 'secret.txt', root / 'file-link')
    source = tmp_path / 's.txt'
    source.write_text('x')
    for action in (
        lambda: store.read_bytes('link/secret.txt'),
        lambda: store.read_bytes('file-link'),
        lambda: store.upload(source, 'link/planted.txt'),
        lambda: store.download('link/secret.txt', tmp_path / 'stolen.txt'),
    ):
        with pytest.raises(PathEscapeError):
            action()
    assert not (outside / 'planted.txt').exists()
    os.symlink(root / 'real', root / 'inner-link')  # a link that stays inside is fine
    store.write_bytes('real/ok.txt', b'ok')
    assert store.read_bytes('inner-link/ok.txt') == b'ok'


def test_local_upload_is_atomic_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    store = LocalStorage({'location': str(tmp_path / 'root')})
    source = tmp_path / 'big.bin'
    source.write_bytes(b'x' * 1000)

    def broken_copy(src: Any, dst: Any) -> None:
        Path(dst).write_bytes(b'x' * 10)
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(shutil, 'copyfile', broken_copy)
    with pytest.raises(StorageError, match='No space left'):
        store.upload(source, 'big.bin')
    assert sorted(p.name for p in (tmp_path / 'root').rglob('*')) == []


def test_storage_objects_refuse_pickling(tmp_path: Path) -> None:
    import pickle

    with pytest.raises(TypeError, match='configuration'):
        pickle.dumps(LocalStorage({'location': str(tmp_path)}))
