"""A misspelled storage configuration key is an error with a did-you-mean, never silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from synapse_sdk.utils.storage import S3Storage, get_storage
from synapse_sdk.utils.storage.errors import StorageConfigError


def test_misspelled_endpoint_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(StorageConfigError) as info:
        get_storage({'provider': 's3', 'configuration': {'bucket_name': 'b', 'endpoint_ur': 'http://127.0.0.1:1'}})
    assert "'endpoint_ur' (did you mean 'endpoint_url'?)" in str(info.value)


def test_misspelled_access_key_names_the_key_but_never_the_value() -> None:
    with pytest.raises(StorageConfigError) as info:
        get_storage(
            {
                'provider': 'minio',
                'configuration': {
                    'bucket_name': 'b',
                    'acess_key': 'AKIAIOSFODNN7EXAMPLE',
                    'secret_key': 'wJalrXUtnFEMI/K7MDENG',
                },
            }
        )
    message = str(info.value)
    assert "'acess_key' (did you mean 'access_key'?)" in message
    assert 'AKIAIOSFODNN7EXAMPLE' not in message and 'wJalrXUtnFEMI' not in message


def test_documented_spellings_and_shared_options_are_accepted(tmp_path: Path) -> None:
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(tmp_path), 'retries': 1}})
    assert storage.exists('nothing') is False
    s3 = get_storage({'provider': 's3', 'configuration': {'bucket': 'b', 'region': 'eu-west-1', 'prefix': 'p'}})
    assert isinstance(s3, S3Storage) and s3.config.bucket_name == 'b'


def test_every_provider_is_strict(tmp_path: Path) -> None:
    configs = {
        'local': {'location': str(tmp_path)},
        'gcs': {'bucket_name': 'b'},
        'sftp': {'host': '127.0.0.1', 'username': 'u'},
        'http': {'base_url': 'http://127.0.0.1:1/'},
    }
    for provider, config in configs.items():
        with pytest.raises(StorageConfigError, match='unknown configuration key'):
            get_storage({'provider': provider, 'configuration': {**config, 'tiemout': 3}})
