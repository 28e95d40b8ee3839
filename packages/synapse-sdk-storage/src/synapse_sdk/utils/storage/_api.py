"""``get_storage`` and the config-first helpers of the seed (``get_pathlib(config, path)``...)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synapse_sdk.utils.storage._protocol import StorageProtocol, conformance_problems
from synapse_sdk.utils.storage._registry import get_provider_class
from synapse_sdk.utils.storage.errors import StorageConfigError, StorageProviderError

if TYPE_CHECKING:
    from synapse_sdk.utils.storage._protocol import PathArg, StoragePath

_DICT_FORM = (
    "get_storage({'provider': 's3', 'configuration': {'bucket_name': 'my-bucket', "
    "'access_key': '...', 'secret_key': '...', 'endpoint_url': 'http://minio:9000'}})"
)


def _as_dict(config: Any) -> dict[str, Any]:
    if isinstance(config, StorageProtocol) and not isinstance(config, Mapping):
        raise StorageConfigError('pass a configuration dict, not a storage object')
    if isinstance(config, (str, bytes)):
        scheme = config.split('://', 1)[0] if isinstance(config, str) and '://' in config else 'URL'
        raise StorageConfigError(
            f'storage URL strings ({scheme}://...) are no longer accepted; pass a dict instead, e.g. {_DICT_FORM}',
            details={'scheme': scheme},
        )
    if hasattr(config, 'model_dump'):  # the backend's Storage model, or any pydantic model
        config = config.model_dump()
    if not isinstance(config, Mapping):
        raise StorageConfigError(
            f'storage configuration must be a dict, not {type(config).__name__}; e.g. {_DICT_FORM}',
        )
    return dict(config)


def get_storage(config: Mapping[str, Any] | Any) -> StorageProtocol:
    """A provider object from ``{'provider': name, 'configuration': {...}}``.

    Args:
        config: ``{'provider': name, 'configuration': {...}}`` (or a pydantic model of that shape).

    Returns:
        The provider, a :class:`StorageProtocol`, whichever provider it is.

    Raises:
        StorageConfigError: the configuration is malformed, or has a key the provider does not take.
        StorageProviderNotFoundError: no provider is registered under that name.
        StorageProviderError: a registered third-party provider does not implement ``StorageProtocol``.
        MissingDependencyError: the provider's library is not installed (the message has the command).
    """
    data = _as_dict(config)
    provider = data.get('provider')
    provider = getattr(provider, 'value', provider)  # enum members of the backend model
    if not isinstance(provider, str) or not provider:
        raise StorageConfigError(
            f"storage configuration needs a 'provider' name, e.g. {_DICT_FORM}",
            details={'keys': sorted(data)},
        )
    configuration = data.get('configuration', {})
    if isinstance(configuration, str):  # JSON text from an environment variable or a form
        try:
            configuration = json.loads(configuration)
        except ValueError:
            raise StorageConfigError("'configuration' must be a dict (or JSON object text)") from None
    if not isinstance(configuration, Mapping):
        raise StorageConfigError(
            f"'configuration' must be a dict, not {type(configuration).__name__}",
            details={'provider': provider},
        )
    cls = get_provider_class(provider)
    storage = cls(dict(configuration))
    problems = list(conformance_problems(type(storage)))
    if not hasattr(storage, 'provider'):
        problems.append('provider (its registered name) is missing')
    if problems or not isinstance(storage, StorageProtocol):
        name = f'{type(storage).__module__}.{type(storage).__qualname__}'
        raise StorageProviderError(
            f'storage provider {provider!r} ({name}) does not implement StorageProtocol: {"; ".join(problems)}. '
            'Subclass synapse_sdk.utils.storage.FsspecStorage, or add the missing members',
            details={'provider': provider, 'class': name, 'problems': problems},
        )
    return storage


def get_pathlib(config: Mapping[str, Any] | Any, path: PathArg = '') -> StoragePath:
    """A pathlib-like object for ``path`` under the storage's root (``Path`` for local, else ``UPath``)."""
    return _storage(config).get_pathlib(path)


def get_path_file_count(config: Mapping[str, Any] | Any, path: PathArg = '') -> int:
    """Files (not folders) under ``path``, recursively, from one listing."""
    return _storage(config).get_path_file_count(path)


def get_path_total_size(config: Mapping[str, Any] | Any, path: PathArg = '') -> int:
    """Total bytes of the files under ``path``, recursively, from one listing."""
    return _storage(config).get_path_total_size(path)


def _storage(config: Any) -> StorageProtocol:
    """Accept a config dict or an already-built storage."""
    if isinstance(config, StorageProtocol) and not isinstance(config, Mapping):
        return config
    return get_storage(config)
