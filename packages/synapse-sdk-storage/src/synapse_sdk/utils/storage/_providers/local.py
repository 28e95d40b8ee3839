"""Local disk (``local`` / ``file_system``): ``{'location': '/data'}``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, model_validator

from synapse_sdk.core._atomic import atomic_bytes, atomic_copy
from synapse_sdk.utils.storage._base import FsspecStorage
from synapse_sdk.utils.storage._keys import KeyLike, normalise_key
from synapse_sdk.utils.storage.errors import PathEscapeError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from synapse_sdk.utils.storage._protocol import PathArg


class LocalConfig(BaseModel):
    model_config = {'extra': 'ignore', 'frozen': True}

    location: str = Field(min_length=1, description='Root folder; created when missing.')

    @model_validator(mode='before')
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        # v1 configs sometimes say root_path or path for the same thing.
        if isinstance(data, dict) and 'location' not in data:
            for alias in ('root_path', 'path'):
                if data.get(alias):
                    return {**data, 'location': data[alias]}
        return data


class LocalStorage(FsspecStorage):
    """Files under ``location``. Writes land atomically (temporary file, then rename)."""

    provider = 'local'
    config_model = LocalConfig
    config: LocalConfig

    def __init__(self, configuration: Any = None, **overrides: Any) -> None:
        super().__init__(configuration, **overrides)
        root = Path(self.config.location).expanduser()
        root.mkdir(parents=True, exist_ok=True)
        self._root_path = Path(os.path.realpath(root))

    def _make_fs(self) -> AbstractFileSystem:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(skip_instance_cache=True)

    def _root(self) -> str:
        return self._root_path.as_posix()

    def path(self, key: KeyLike = '', *, allow_root: bool = True) -> str:
        candidate = super().path(key, allow_root=allow_root)
        # Symlinks inside the root may point anywhere: resolve and check the real target.
        real = os.path.realpath(candidate)
        root = str(self._root_path)
        if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
            raise PathEscapeError(
                f'key {os.fspath(key)!r} resolves outside the storage root (through a symlink)',
                details={'key': os.fspath(key)},
            )
        return candidate

    def _key_of(self, key: PathArg) -> str:
        if isinstance(key, Path) and key.is_absolute():
            return self._relative(key.as_posix())
        return super()._key_of(key)

    def uri(self, key: KeyLike = '') -> str:
        return Path(self.path(key)).as_uri()

    def _put_file(self, source: Path, path: str) -> None:
        # Core's temp name: hidden from list(), and a stale one (killed upload) is removed here.
        atomic_copy(source, path)

    def _pipe(self, path: str, data: bytes) -> None:
        atomic_bytes(path, data)

    def _exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def _delete(self, path: str, recursive: bool) -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            if not recursive:
                raise IsADirectoryError(f'{normalise_key(self._relative(path))!r} is a folder; pass recursive=True')
            shutil.rmtree(path)
        else:
            os.unlink(path)

    def get_pathlib(self, path: PathArg = '') -> Path:
        return Path(self.path(self._key_of(path)))
