"""Provider names and aliases -> lazily imported classes; third parties via entry points.

A third-party distribution registers ``[project.entry-points."synapse_sdk.storage"]``
``myfs = "my_pkg.storage:MyStorage"``; the class takes the configuration dict and must implement
:class:`~synapse_sdk.utils.storage.StorageProtocol` (``get_storage`` refuses one that does not).
"""

from __future__ import annotations

from typing import Any

from synapse_sdk.core._lazy import install_command
from synapse_sdk.core._registry import Registry
from synapse_sdk.core.errors import NotFoundError
from synapse_sdk.utils.storage.errors import StorageProviderNotFoundError

ENTRY_POINT_GROUP = 'synapse_sdk.storage'

PROVIDERS: Registry[Any] = Registry('storage provider', ENTRY_POINT_GROUP)
_P = 'synapse_sdk.utils.storage._providers'
PROVIDERS.register('local', f'{_P}.local:LocalStorage', aliases=('file_system', 'filesystem', 'file'))
PROVIDERS.register('s3', f'{_P}.s3:S3Storage', aliases=('amazon_s3', 'minio'), install_hint=install_command('s3'))
PROVIDERS.register('gcs', f'{_P}.gcs:GCSStorage', aliases=('gs', 'gcp'), install_hint=install_command('gcs'))
PROVIDERS.register('sftp', f'{_P}.sftp:SFTPStorage', install_hint=install_command('sftp'))
PROVIDERS.register('http', f'{_P}.http:HTTPStorage', aliases=('https',), install_hint=install_command('http'))

# The third-party library each built-in provider needs, checked when the provider is created.
REQUIRED_MODULES = {'s3': 's3fs', 'gcs': 'gcsfs', 'sftp': 'sshfs', 'http': 'aiohttp'}


def register_provider(name: str, target: Any, *, aliases: tuple[str, ...] = (), clobber: bool = False) -> None:
    """Add a provider: ``target`` is a class or ``"module:Class"`` taking the configuration dict.

    The class must implement :class:`~synapse_sdk.utils.storage.StorageProtocol` (subclassing
    ``FsspecStorage`` does); ``get_storage`` raises ``StorageProviderError`` naming what is missing.
    """
    PROVIDERS.register(name, target, aliases=aliases, clobber=clobber)


def get_registered_providers(*, include_aliases: bool = False) -> list[str]:
    return PROVIDERS.names(include_aliases=include_aliases)


def get_provider_class(name: str) -> Any:
    """The class behind ``name`` (or an alias); install hint when its library is missing."""
    import importlib.util

    from synapse_sdk.core.errors import MissingDependencyError

    try:
        key = PROVIDERS.canonical(name)
    except NotFoundError:
        available = get_registered_providers(include_aliases=True)
        raise StorageProviderNotFoundError(
            f'storage provider {name!r} not found. Available: {", ".join(available)}',
            details={'provider': name, 'available': available},
        ) from None
    module = REQUIRED_MODULES.get(key)
    if module and importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f'storage provider {name!r} needs {module}, which is not installed. '
            f'Install it with: {install_command(key)}',
            details={'provider': name, 'module': module},
        )
    return PROVIDERS.load(key)
