"""The structural interface of a storage: implement these methods, no base class needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable


@runtime_checkable
class StorageProtocol(Protocol):
    """What the SDK (and users) call on a storage. Keys are ``/`` paths relative to its root."""

    def upload(self, source: str | os.PathLike[str], key: str) -> str:
        """Copy a local file to ``key``; return its URL."""
        ...

    def exists(self, key: str) -> bool: ...

    def get_url(self, key: str) -> str: ...

    def get_pathlib(self, path: str = '') -> Any:
        """A ``pathlib.Path``-like object (``Path`` or ``UPath``) under the storage root."""
        ...

    def download(self, key: str, target: str | os.PathLike[str]) -> Path: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str = '') -> list[str]: ...

    def open(self, key: str, mode: str = 'rb') -> IO[Any]: ...

    def get_path_file_count(self, path: str = '') -> int: ...

    def get_path_total_size(self, path: str = '') -> int: ...
