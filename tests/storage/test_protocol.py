"""StorageProtocol is what get_storage returns: every registered provider conforms, a non-conforming one is refused."""

from __future__ import annotations

import builtins
import io
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import pytest

from synapse_sdk.utils.storage import (
    FsspecStorage,
    GCSStorage,
    HTTPStorage,
    ListEntry,
    LocalStorage,
    S3Storage,
    SFTPStorage,
    StorageNotFoundError,
    StorageProtocol,
    StorageProviderError,
    get_path_total_size,
    get_provider_class,
    get_registered_providers,
    get_storage,
    register_provider,
)
from synapse_sdk.utils.storage._protocol import Key, Local, Progress, conformance_problems, protocol_members
from synapse_sdk.utils.storage._registry import PROVIDERS

# mypy checks each assignment structurally: a built-in provider that drifts from the protocol fails type-checking.
BUILT_IN: tuple[type[StorageProtocol], ...] = (LocalStorage, S3Storage, GCSStorage, SFTPStorage, HTTPStorage)


class MemoryStorage:
    """A third-party provider without a base class: the whole protocol over a dict."""

    provider = 'memory-test'

    def __init__(self, configuration: dict[str, Any]) -> None:
        self.files: dict[str, bytes] = {}
        self.configuration = configuration

    def _get(self, key: os.PathLike[str] | str) -> bytes:
        try:
            return self.files[os.fspath(key)]
        except KeyError:
            raise StorageNotFoundError(f'no key {os.fspath(key)!r}') from None

    def uri(self, key: os.PathLike[str] | str = '') -> str:
        return f'memory://{os.fspath(key)}'

    def get_url(self, key: os.PathLike[str] | str, *, expires: int = 3600) -> str:
        return self.uri(key)

    def upload(self, source: str | os.PathLike[str], key: os.PathLike[str] | str) -> str:
        self.files[os.fspath(key)] = Path(source).read_bytes()
        return self.uri(key)

    def upload_many(
        self,
        items: Mapping[Local, Key] | Iterable[tuple[Local, Key]],
        *,
        progress: Progress | None = None,
        max_concurrency: int | None = None,
    ) -> builtins.list[str]:
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        return [self.upload(source, key) for source, key in pairs]

    def download(self, key: os.PathLike[str] | str, target: str | os.PathLike[str]) -> Path:
        Path(target).write_bytes(self._get(key))
        return Path(target)

    def download_many(
        self,
        items: Mapping[Key, Local] | Iterable[tuple[Key, Local]],
        *,
        progress: Progress | None = None,
        max_concurrency: int | None = None,
    ) -> builtins.list[Path]:
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        return [self.download(key, target) for key, target in pairs]

    def exists(self, key: Any) -> bool:
        return str(key) in self.files

    def delete(self, key: Any, *, recursive: bool = False, missing_ok: bool = True) -> None:
        if self.files.pop(str(key), None) is None and not missing_ok:
            raise StorageNotFoundError(f'no key {key!r}')

    def list(self, prefix: Any = '', *, recursive: bool = False) -> builtins.list[str]:
        return sorted(k for k in self.files if k.startswith(str(prefix)))

    def list_details(self, prefix: Any = '', *, recursive: bool = False) -> builtins.list[ListEntry]:
        return [ListEntry(key=k, size=len(self.files[k]), type='file') for k in self.list(prefix)]

    def glob(self, pattern: str) -> builtins.list[str]:
        return [k for k in self.list() if Path(k).match(pattern)]

    def open(self, key: os.PathLike[str] | str, mode: str = 'rb', **kwargs: Any) -> IO[Any]:
        return io.BytesIO(self._get(key))

    def read_bytes(self, key: os.PathLike[str] | str) -> bytes:
        return self._get(key)

    def write_bytes(self, key: os.PathLike[str] | str, data: bytes) -> str:
        self.files[os.fspath(key)] = data
        return self.uri(key)

    def size(self, key: os.PathLike[str] | str) -> int:
        return len(self._get(key))

    def get_pathlib(self, path: Any = '') -> Path:
        return Path(str(path))

    def stats(self, path: Any = '') -> tuple[int, int]:
        keys = self.list(path)
        return len(keys), sum(len(self.files[k]) for k in keys)

    def get_path_file_count(self, path: Any = '') -> int:
        return self.stats(path)[0]

    def get_path_total_size(self, path: Any = '') -> int:
        return self.stats(path)[1]

    def close(self) -> None:
        pass


THIRD_PARTY: type[StorageProtocol] = MemoryStorage  # checked by mypy like the built-ins


def test_every_registered_provider_is_checked_and_conforms() -> None:
    for name in get_registered_providers():
        cls = get_provider_class(name)
        assert cls in BUILT_IN, f'{name}: add {cls.__name__} to BUILT_IN so mypy checks it against the protocol'
        assert conformance_problems(cls) == (), name


def test_the_protocol_covers_what_every_built_in_provider_shares() -> None:
    members = set(protocol_members())
    assert {'write_bytes', 'read_bytes', 'size', 'uri', 'close', 'list_details', 'stats', 'provider'} <= members
    shared_public = {name for name in vars(FsspecStorage) if not name.startswith('_')}
    # What FsspecStorage has beyond the protocol is plumbing for its subclasses, not for callers.
    assert shared_public - members == {'config_model', 'outer_retries', 'bucket_backed', 'fs', 'path'}


def test_a_conforming_third_party_provider_by_registration(tmp_path: Path) -> None:
    register_provider('memory-test', MemoryStorage, aliases=('mem-test',))
    try:
        store = get_storage({'provider': 'mem-test', 'configuration': {'x': 1}})
        assert isinstance(store, MemoryStorage) and isinstance(store, StorageProtocol)
        assert 'memory-test' in get_registered_providers()
        source = tmp_path / 'f.txt'
        source.write_text('abc')
        store.upload(source, 'k')
        assert get_path_total_size(store, '') == 3  # helpers accept a built storage too
        with pytest.raises(Exception, match='already registered'):
            register_provider('s3', MemoryStorage)  # built-ins cannot be silently replaced
    finally:
        _unregister('memory-test', 'mem-test')


class Incomplete:
    """Written against the v1 surface: no write_bytes, list() without recursive=, a required extra argument."""

    provider = 'incomplete'

    def __init__(self, configuration: dict[str, Any]) -> None:
        self.configuration = configuration

    def list(self, prefix: str = '') -> list[str]:
        return []

    def get_url(self, key: str, expires: int = 60) -> str:
        return key

    def size(self, name: str) -> int:
        return 0

    def close(self, force: bool) -> None:
        pass


def test_the_check_names_each_incompatibility() -> None:
    problems = conformance_problems(Incomplete)
    assert 'write_bytes() is missing' in problems and 'upload() is missing' in problems
    assert "list() must accept the keyword 'recursive'" in problems
    assert "get_url() parameter 'expires' defaults to 60, not 3600" in problems
    assert "size() parameter 1 must be named 'key', not 'name'" in problems
    assert "close() has a required parameter 'force' the protocol does not pass" in problems


def test_a_non_conforming_provider_is_refused_with_what_is_missing() -> None:
    register_provider('incomplete-test', Incomplete)
    try:
        with pytest.raises(StorageProviderError) as info:
            get_storage({'provider': 'incomplete-test', 'configuration': {}})
    finally:
        _unregister('incomplete-test')
    message = str(info.value)
    assert 'does not implement StorageProtocol' in message and 'write_bytes() is missing' in message
    assert 'FsspecStorage' in message  # says how to fix it
    assert isinstance(info.value, TypeError)


def test_third_party_provider_by_entry_point(tmp_path: Path) -> None:
    dist = tmp_path / 'site' / 'thirdparty_storage-1.0.dist-info'
    dist.mkdir(parents=True)
    (dist / 'METADATA').write_text('Metadata-Version: 2.1\nName: thirdparty-storage\nVersion: 1.0\n')
    (dist / 'entry_points.txt').write_text('[synapse_sdk.storage]\nmemfs = thirdparty_storage:Store\nbad = x:Bad\n')
    (tmp_path / 'site' / 'thirdparty_storage.py').write_text(
        'from synapse_sdk.utils.storage import LocalStorage\n\nclass Store(LocalStorage):\n    provider = "memfs"\n'
    )
    (tmp_path / 'site' / 'x.py').write_text('class Bad:\n    def __init__(self, c):\n        self.c = c\n')
    code = (
        'from synapse_sdk.utils.storage import get_storage, StorageProviderError\n'
        f"s = get_storage({{'provider': 'memfs', 'configuration': {{'location': {str(tmp_path / 'r')!r}}}}})\n"
        "print(type(s).__name__, s.write_bytes('a.txt', b'x').endswith('a.txt'))\n"
        'try:\n'
        "    get_storage({'provider': 'bad', 'configuration': {}})\n"
        'except StorageProviderError as e:\n'
        '    print(e.details["class"])\n'
    )
    env = {**os.environ, 'PYTHONPATH': str(tmp_path / 'site')}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ['Store', 'True', 'x.Bad']


def _unregister(*names: str) -> None:
    for name in names:
        PROVIDERS._entries.pop(name, None)
        PROVIDERS._aliases.pop(name, None)
