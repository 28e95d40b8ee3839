"""Storage: one API over local disk, S3/MinIO, GCS, SFTP and HTTP, built on fsspec.

``get_storage({'provider': 's3', 'configuration': {...}})`` returns a provider; the backend
libraries (s3fs, gcsfs, sshfs, aiohttp) are imported only when their provider is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from synapse_sdk.utils.storage._api import get_path_file_count, get_path_total_size, get_pathlib, get_storage
from synapse_sdk.utils.storage._protocol import ListEntry, StorageProtocol
from synapse_sdk.utils.storage._registry import get_provider_class, get_registered_providers, register_provider
from synapse_sdk.utils.storage.errors import (
    HostKeyVerificationError,
    PathEscapeError,
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
    StorageProviderError,
    StorageProviderNotFoundError,
    StorageUploadError,
)

if TYPE_CHECKING:
    from synapse_sdk.utils.storage._base import FsspecStorage
    from synapse_sdk.utils.storage._providers.gcs import GCSStorage
    from synapse_sdk.utils.storage._providers.http import HTTPStorage
    from synapse_sdk.utils.storage._providers.local import LocalStorage
    from synapse_sdk.utils.storage._providers.s3 import S3Storage
    from synapse_sdk.utils.storage._providers.sftp import SFTPStorage

_LAZY = {
    'FsspecStorage': 'synapse_sdk.utils.storage._base',
    'LocalStorage': 'synapse_sdk.utils.storage._providers.local',
    'S3Storage': 'synapse_sdk.utils.storage._providers.s3',
    'GCSStorage': 'synapse_sdk.utils.storage._providers.gcs',
    'SFTPStorage': 'synapse_sdk.utils.storage._providers.sftp',
    'HTTPStorage': 'synapse_sdk.utils.storage._providers.http',
}
_RENAMED = {'FileSystemStorage': 'LocalStorage', 'GCPStorage': 'GCSStorage'}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _RENAMED:
        raise AttributeError(
            f'{name} was renamed in v2: use `from synapse_sdk.utils.storage import {_RENAMED[name]}`',
            name=name,
        )
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}', name=name)


__all__ = [
    'FsspecStorage',
    'GCSStorage',
    'HTTPStorage',
    'ListEntry',
    'LocalStorage',
    'HostKeyVerificationError',
    'PathEscapeError',
    'S3Storage',
    'SFTPStorage',
    'StorageConfigError',
    'StorageConnectionError',
    'StorageError',
    'StorageNotFoundError',
    'StoragePermissionError',
    'StorageProtocol',
    'StorageProviderError',
    'StorageProviderNotFoundError',
    'StorageUploadError',
    'get_path_file_count',
    'get_path_total_size',
    'get_pathlib',
    'get_provider_class',
    'get_registered_providers',
    'get_storage',
    'register_provider',
]
