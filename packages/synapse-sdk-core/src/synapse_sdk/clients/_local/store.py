"""Where the embedded backend keeps files (model weights, uploaded data, plugin releases).

The default is a plain folder so that ``synapse-sdk-core`` needs no storage library. Any provider
of ``synapse-sdk-storage`` can be configured instead; it is imported only then.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlparse

from synapse_sdk.core._atomic import atomic_copy
from synapse_sdk.core._lazy import import_optional
from synapse_sdk.core._private import PRIVATE_FILE, private_dir
from synapse_sdk.core.errors import ConfigError, MissingDependencyError, MissingFileError


@runtime_checkable
class FileStore(Protocol):
    """The part of a storage provider the backend uses."""

    def upload(self, source: Path, key: str) -> str: ...

    def exists(self, key: str) -> bool: ...

    def get_url(self, key: str) -> str: ...

    def download(self, key: str, destination: Path) -> Path: ...

    def delete(self, key: str) -> None: ...


def clean_key(key: str) -> str:
    """A relative POSIX key that cannot escape the store's root."""
    path = PurePosixPath(key.replace('\\', '/').lstrip('/'))
    if not path.parts or '..' in path.parts:
        raise ConfigError(f'invalid storage key {key!r}: it must be a relative path without ".."')
    return path.as_posix()


class LocalFileStore:
    """Files under one folder; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = private_dir(Path(root).expanduser().resolve())

    def __repr__(self) -> str:
        return f'LocalFileStore({str(self.root)!r})'

    def path(self, key: str) -> Path:
        return self.root / clean_key(key)

    def upload(self, source: Path, key: str) -> str:
        target = self.path(key)
        folder = self.root
        for part in target.parent.relative_to(self.root).parts:
            folder = private_dir(folder / part)
        atomic_copy(source, target, mode=PRIVATE_FILE)
        return target.as_uri()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def get_url(self, key: str) -> str:
        return self.path(key).as_uri()

    def download(self, key: str, destination: Path) -> Path:
        source = self.path(key)
        if not source.is_file():
            raise MissingFileError(f'no file {key!r} in {self.root}', details={'key': key})
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        return destination

    def delete(self, key: str) -> None:
        target = self.path(key)
        target.unlink(missing_ok=True)
        # Remove folders left empty, up to the root.
        parent = target.parent
        while parent != self.root and parent.is_relative_to(self.root):
            with contextlib.suppress(OSError):
                parent.rmdir()
                parent = parent.parent
                continue
            break


class ProviderStore:
    """Adapts a ``synapse_sdk.utils.storage`` provider to :class:`FileStore`."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def __repr__(self) -> str:
        return f'ProviderStore({type(self.provider).__name__})'

    def upload(self, source: Path, key: str) -> str:
        return str(self.provider.upload(source, clean_key(key)))

    def exists(self, key: str) -> bool:
        return bool(self.provider.exists(clean_key(key)))

    def get_url(self, key: str) -> str:
        return str(self.provider.get_url(clean_key(key)))

    def download(self, key: str, destination: Path) -> Path:
        destination.parent.mkdir(parents=True, exist_ok=True)
        if hasattr(self.provider, 'download'):
            self.provider.download(clean_key(key), destination)
        else:
            with self.provider.open(clean_key(key), 'rb') as src, open(destination, 'wb') as dst:
                shutil.copyfileobj(src, dst)
        return destination

    def delete(self, key: str) -> None:
        if self.provider.exists(clean_key(key)):
            self.provider.delete(clean_key(key))


def resolve_storage(storage: Any) -> Any:
    """The one resolver of storage configurations: a provider from ``{'provider', 'configuration'}``.

    With synapse-sdk-storage installed every dict goes through ``get_storage`` (validated, a
    misspelled key is an error); without it the local provider still works. Provider objects (and
    ``None``) pass through.
    """
    if storage is None or hasattr(storage, 'upload'):
        return storage
    if not isinstance(storage, Mapping):
        raise ConfigError(f'storage must be a config dict or a provider with upload(), not {type(storage).__name__}')
    try:
        module = import_optional('synapse_sdk.utils.storage')
    except MissingDependencyError:
        location = _local_location(storage)
        if location is not None:
            return LocalFileStore(location)
        raise
    return module.get_storage(dict(storage))


def _local_location(config: Mapping[str, Any]) -> Any:
    configuration = config.get('configuration') or {}
    if config.get('provider') in ('local', 'file_system') and isinstance(configuration, Mapping):
        return configuration.get('location')
    return None


def open_store(config: Mapping[str, Any] | str | os.PathLike[str] | FileStore | None, default_root: Path) -> FileStore:
    """A store from a folder path, a storage config dict (``{'provider', 'configuration'}``) or an object."""
    if config is None:
        return LocalFileStore(default_root)
    if isinstance(config, (str, os.PathLike)):
        return LocalFileStore(config)
    if isinstance(config, Mapping):
        provider = resolve_storage(config)  # validated like every other storage configuration
        location = _local_location(config)
        if location is not None:  # the embedded backend keeps local files in its own store
            return provider if isinstance(provider, FileStore) else LocalFileStore(location)
        return ProviderStore(provider)
    if isinstance(config, FileStore):
        return config
    return ProviderStore(config)


def file_url_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL (or a plain path), else ``None``."""
    parsed = urlparse(url)
    if parsed.scheme == 'file':
        return Path(unquote(parsed.path))
    if parsed.scheme == '' and url:
        return Path(url)
    return None
