"""The provider-agnostic half of every storage: keys, retries, error translation, bulk transfers.

A provider supplies an fsspec filesystem (``_make_fs``), the backend path of its root
(``_root``), its URL forms and what makes an error transient; everything a user calls lives here,
so every provider behaves the same way.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import logging
import os
import posixpath
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError, model_validator

from synapse_sdk.core._atomic import clean_stale, is_temp_name, temp_path
from synapse_sdk.core._suggest import unknown_names_message
from synapse_sdk.utils.storage._keys import KeyLike, join_root, normalise_key
from synapse_sdk.utils.storage._protocol import Key, ListEntry, Local, Progress
from synapse_sdk.utils.storage._secrets import redact_config, scrub, secret_variants
from synapse_sdk.utils.storage.errors import (
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
    StorageUploadError,
)

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from synapse_sdk.utils.storage._protocol import PathArg, StoragePath

logger = logging.getLogger('synapse_sdk.storage')

T = TypeVar('T')
ConfigT = TypeVar('ConfigT', bound=BaseModel)
_CHUNK = 1024 * 1024


class ProviderConfig(BaseModel):
    """Base of the provider configuration models: ``key_aliases`` maps other spellings to our keys."""

    key_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()

    @model_validator(mode='before')
    @classmethod
    def _rename_aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.key_aliases:
            data = dict(data)
            for old, new in cls.key_aliases:
                if old in data and new not in data:
                    data[new] = data.pop(old)
        return data


class StorageOptions(BaseModel):
    """Settings every provider accepts besides its own keys."""

    model_config = {'extra': 'ignore', 'frozen': True}

    retries: int = 3
    """Extra attempts after a transient failure (connection reset, timeout, 5xx)."""
    max_concurrency: int = 16
    """Parallel transfers in ``upload_many``/``download_many``."""


class FsspecStorage:
    """Base of the built-in providers. Subclasses set ``provider``, ``config_model`` and the hooks."""

    provider: ClassVar[str] = ''
    config_model: ClassVar[type[BaseModel]] = StorageOptions
    # Extra attempts this class makes itself; providers whose client already retries (botocore,
    # gcsfs) set it to 0 so that budgets do not multiply.
    outer_retries: ClassVar[bool] = True
    bucket_backed: ClassVar[bool] = False
    """The first path segment is a bucket: deleting the root must empty it, never remove it."""

    def __init__(self, configuration: Mapping[str, Any] | BaseModel | None = None, **overrides: Any) -> None:
        raw: dict[str, Any]
        if configuration is None:
            raw = {}
        elif isinstance(configuration, BaseModel):
            raw = configuration.model_dump()
        elif isinstance(configuration, Mapping):
            raw = dict(configuration)
        else:
            raise StorageConfigError(
                f'{type(self).__name__} takes a configuration dict, got {type(configuration).__name__}',
                details={'provider': self.provider},
            )
        raw.update(overrides)
        refuse_unknown_keys(raw, (self.config_model, StorageOptions), self.provider)
        self.config = parse_config(self.config_model, raw, self.provider)
        self.options = parse_config(StorageOptions, raw, self.provider)
        self._shown_config = redact_config({k: v for k, v in raw.items() if v is not None})
        self._secrets = secret_variants(self._secret_values())
        self._fs_lock = threading.Lock()
        self._local = threading.local()
        self._fs: AbstractFileSystem | None = None

    # ----------------------------------------------------------------- provider hooks
    def _make_fs(self) -> AbstractFileSystem:
        raise NotImplementedError

    def _root(self) -> str:
        """Backend path of the storage root (``bucket/prefix``, ``/data``...)."""
        raise NotImplementedError

    def _secret_values(self) -> builtins.list[str | None]:
        """Credential values to scrub from every message."""
        return []

    def uri(self, key: KeyLike = '') -> str:
        """The canonical, credential-free address of ``key`` (``s3://bucket/key``...)."""
        raise NotImplementedError

    def get_url(self, key: KeyLike, *, expires: int = 3600) -> str:
        """A URL to fetch ``key`` with; presigned where the backend supports it."""
        return self.uri(key)

    def _is_transient(self, error: BaseException) -> bool:
        return isinstance(error, (ConnectionError, TimeoutError)) and not isinstance(error, StorageError)

    def _put_file(self, source: Path, path: str) -> None:
        """Copy one local file to the backend ``path``: whole or not at all."""
        self.fs.put_file(str(source), path)

    def _reset_connection(self) -> None:
        """Forget the filesystem so that the next call connects again."""
        with self._fs_lock:
            self._fs = None

    def _upath_protocol(self) -> str:
        return self.uri().split('://', 1)[0]

    # ----------------------------------------------------------------- plumbing
    @property
    def fs(self) -> AbstractFileSystem:
        """The fsspec filesystem (holds credentials: never log or serialise it)."""
        with self._fs_lock:
            if self._fs is None:
                try:
                    fs = self._make_fs()
                except StorageError:
                    raise
                except Exception as error:
                    if getattr(self._local, 'depth', 0):
                        raise  # inside _call: retried and reported with the operation's name
                    raise self._translate(error, 'connect', '') from None
                _hide_storage_options(fs)
                self._fs = fs
            return self._fs

    def path(self, key: KeyLike = '', *, allow_root: bool = True) -> str:
        """Backend path of ``key`` under the root; refuses keys that escape it."""
        return join_root(self._root(), normalise_key(key, allow_root=allow_root))

    def _key_of(self, key: PathArg) -> str:
        """Accept keys and path objects returned by :meth:`get_pathlib`."""
        if isinstance(key, (str, os.PathLike)):
            return normalise_key(key)
        if getattr(key, 'protocol', None) is not None and hasattr(key, 'path'):  # a UPath
            return self._relative(str(key.path))
        raise StorageError(
            f'a storage key is a str, a path or a get_pathlib() object, not {type(key).__name__}',
            details={'provider': self.provider},
        )

    def _relative(self, backend_path: str) -> str:
        root = self._root().rstrip('/')
        backend_path = backend_path.rstrip('/')
        if root in ('', '/'):
            return normalise_key(backend_path)
        if backend_path == root:
            return ''
        if backend_path.startswith(root + '/'):
            return backend_path[len(root) + 1 :]
        return normalise_key(backend_path)

    def _call(self, operation: str, key: str, function: Callable[[], T], *, retry: bool = True) -> T:
        """Run ``function`` with the retry budget; translate whatever escapes into a StorageError."""
        attempts = 1 + (self.options.retries if retry and self.outer_retries else 0)
        for attempt in range(1, attempts + 1):
            try:
                self._local.depth = getattr(self._local, 'depth', 0) + 1
                try:
                    return function()
                finally:
                    self._local.depth -= 1
            except StorageError:
                raise
            except Exception as error:
                if attempt < attempts and self._is_transient(error):
                    delay = min(0.1 * 2 ** (attempt - 1), 2.0) * (0.5 + random.random())
                    logger.info(
                        '%s %s %r: transient failure (%s), attempt %d of %d, retrying in %.2fs',
                        self.provider,
                        operation,
                        key,
                        type(error).__name__,
                        attempt,
                        attempts,
                        delay,
                    )
                    self._after_transient_failure(error)
                    time.sleep(delay)
                    continue
                raise self._translate(error, operation, key) from None
        raise AssertionError('unreachable')  # pragma: no cover

    def _after_transient_failure(self, error: BaseException) -> None:
        """Hook: SFTP reconnects here."""

    def _translate(self, error: BaseException, operation: str, key: str) -> StorageError:
        text = self._scrub(f'{type(error).__name__}: {error}' if str(error) else type(error).__name__)
        where = f' {key!r}' if key else ''
        message = f'{self.provider} {operation}{where} failed: {text}'
        details = {'provider': self.provider, 'operation': operation, 'key': key}
        cls: type[StorageError]
        if isinstance(error, FileNotFoundError):
            cls = StorageNotFoundError
        elif isinstance(error, PermissionError) or _status(error) in (401, 403):
            cls = StoragePermissionError
            message += ' (check the credentials in the storage configuration)'
        elif self._is_transient(error) or _unavailable(error):
            cls = StorageConnectionError
        elif operation in ('upload', 'upload_many'):
            cls = StorageUploadError
        else:
            cls = StorageError
        return cls(message, details=details)

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    # ----------------------------------------------------------------- public API
    def upload(self, source: str | os.PathLike[str], key: KeyLike) -> str:
        """Copy the local file ``source`` to ``key``; returns :meth:`uri` of the key.

        Streams (multipart where the backend has it): memory stays flat whatever the size. On
        failure nothing is left at ``key``.
        """
        src = _existing_file(source, self.provider)
        norm = normalise_key(key, allow_root=False)
        target = self.path(norm)
        self._call('upload', norm, lambda: self._put_file(src, target))
        return self.uri(norm)

    def upload_many(
        self,
        items: Mapping[Local, Key] | Iterable[tuple[Local, Key]],
        *,
        progress: Progress | None = None,
        max_concurrency: int | None = None,
    ) -> builtins.list[str]:
        """Upload ``(source, key)`` pairs concurrently; returns their URIs in input order.

        ``progress(done, total)`` is called after each file. Every file is attempted; if any
        failed, :class:`StorageUploadError` lists them after the others finished.
        """
        pairs = _pairs(items)
        checked = [(_existing_file(src, self.provider), normalise_key(key, allow_root=False)) for src, key in pairs]
        return self._upload_many(checked, progress, max_concurrency or self.options.max_concurrency)

    def _upload_many(
        self, pairs: builtins.list[tuple[Path, str]], progress: Progress | None, workers: int
    ) -> builtins.list[str]:
        return self._run_many('upload', pairs, lambda pair: self.upload(*pair), progress, workers)

    def download(self, key: KeyLike, target: str | os.PathLike[str]) -> Path:
        """Copy ``key`` to the local file ``target`` (written atomically); returns ``target``."""
        norm = normalise_key(key, allow_root=False)
        destination = Path(target)
        if destination.is_dir():
            destination = destination / posixpath.basename(norm)
        destination.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(destination.parent)
        tmp = temp_path(destination)
        try:
            self._call('download', norm, lambda: self._get_file(self.path(norm), tmp))
            os.replace(tmp, destination)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return destination

    def _get_file(self, path: str, local: Path) -> None:
        self.fs.get_file(path, str(local))

    def download_many(
        self,
        items: Mapping[Key, Local] | Iterable[tuple[Key, Local]],
        *,
        progress: Progress | None = None,
        max_concurrency: int | None = None,
    ) -> builtins.list[Path]:
        """Download ``(key, local)`` pairs concurrently; returns the local paths in input order."""
        pairs = _pairs(items)
        return self._run_many(
            'download',
            pairs,
            lambda pair: self.download(*pair),
            progress,
            max_concurrency or self.options.max_concurrency,
        )

    def exists(self, key: PathArg) -> bool:
        """Whether ``key`` is a file or a non-empty folder; always asks the backend (no stale cache)."""
        norm = self._key_of(key)
        path = self.path(norm)
        return self._call('exists', norm, lambda: self._exists(path))

    def _exists(self, path: str) -> bool:
        self.fs.invalidate_cache(path)
        return bool(self.fs.exists(path))

    def delete(self, key: PathArg, *, recursive: bool = False, missing_ok: bool = True) -> None:
        """Delete the file ``key`` (with ``recursive=True``, everything under the folder ``key``)."""
        norm = self._key_of(key)
        if not norm and not recursive:
            raise StorageError('refusing to delete the storage root without recursive=True')
        path = self.path(norm)
        if not missing_ok and not self.exists(norm):  # object stores delete missing keys silently
            raise StorageNotFoundError(
                f'{self.provider} delete {norm!r} failed: no such key', details={'provider': self.provider, 'key': norm}
            )
        try:
            self._call('delete', norm, lambda: self._delete(path, recursive))
        except StorageNotFoundError:
            if not missing_ok:
                raise

    def _delete(self, path: str, recursive: bool) -> None:
        if self.bucket_backed and '/' not in path.strip('/'):
            # fsspec's rm('bucket', recursive=True) deletes the bucket too: remove its objects instead.
            objects = list(self.fs.find(path))
            if objects:
                self.fs.rm(objects)
            return
        self.fs.invalidate_cache(path)
        self.fs.rm(path, recursive=recursive)

    def list(self, prefix: PathArg = '', *, recursive: bool = False) -> builtins.list[str]:
        """Keys under the folder ``prefix`` (files and, unless recursive, sub-folders ending in ``/``)."""
        return [entry['key'] for entry in self.list_details(prefix, recursive=recursive)]

    def list_details(self, prefix: PathArg = '', *, recursive: bool = False) -> builtins.list[ListEntry]:
        """Like :meth:`list` with ``{'key', 'size', 'type'}`` for each entry, sorted by key."""
        norm = self._key_of(prefix)
        path = self.path(norm)
        entries = self._call('list', norm, lambda: self._listing(path, recursive))
        return sorted(entries, key=lambda e: e['key'])

    def _listing(self, path: str, recursive: bool) -> builtins.list[ListEntry]:
        self.fs.invalidate_cache(path)
        try:
            if recursive:
                found: Mapping[str, Any] = self.fs.find(path, detail=True)
                raw = list(found.values())
            else:
                raw = self.fs.ls(path, detail=True)
        except FileNotFoundError:
            return []
        entries: builtins.list[ListEntry] = []
        listed = self._relative(path)
        for info in raw:
            key = self._relative(self._name_of(info))
            if key == listed or is_temp_name(key):  # the folder itself; a write still in flight
                continue
            kind = info.get('type', 'file')
            if kind == 'directory':
                key += '/'
            entries.append(ListEntry(key=key, size=int(info.get('size') or 0), type=str(kind)))
        return [e for e in entries if e['key'] not in ('', '/')]

    def _name_of(self, info: Mapping[str, Any]) -> str:
        return str(info['name'])

    def glob(self, pattern: str) -> builtins.list[str]:
        """Keys matching a glob ``pattern`` relative to the root (``**`` crosses folders)."""
        path = self.path(normalise_key(pattern))
        found = self._call('glob', pattern, lambda: self._glob(path))
        return sorted(key for key in (self._relative(p) for p in found) if not is_temp_name(key))

    def _glob(self, path: str) -> builtins.list[str]:
        self.fs.invalidate_cache()
        return [str(p) for p in self.fs.glob(path)]

    def open(self, key: KeyLike, mode: str = 'rb', **kwargs: Any) -> IO[Any]:
        """A file object on ``key``; reading streams, writing commits on close."""
        norm = normalise_key(key, allow_root=False)
        path = self.path(norm)
        return self._call('open', norm, lambda: self.fs.open(path, mode, **kwargs), retry='r' in mode)

    def read_bytes(self, key: KeyLike) -> bytes:
        norm = normalise_key(key, allow_root=False)
        path = self.path(norm)
        return self._call('read', norm, lambda: bytes(self.fs.cat_file(path)))

    def write_bytes(self, key: KeyLike, data: bytes) -> str:
        """Store ``data`` at ``key`` (whole or not at all); returns :meth:`uri`."""
        norm = normalise_key(key, allow_root=False)
        path = self.path(norm)
        self._call('write', norm, lambda: self._pipe(path, data))
        return self.uri(norm)

    def _pipe(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(path, data)

    def size(self, key: KeyLike) -> int:
        norm = normalise_key(key, allow_root=False)
        path = self.path(norm)
        return self._call('size', norm, lambda: int(self._info(path)['size']))

    def _info(self, path: str) -> Mapping[str, Any]:
        self.fs.invalidate_cache(path)
        return self.fs.info(path)  # type: ignore[no-any-return]

    def get_pathlib(self, path: PathArg = '') -> StoragePath:
        """A pathlib-like object (``UPath``; ``pathlib.Path`` for local) for ``path`` under the root.

        Its ``storage_options`` hold no credentials: the filesystem is attached directly.
        """
        from upath import UPath

        norm = self._key_of(path)
        upath = UPath(self.uri(norm), protocol=self._upath_protocol())
        upath._fs_cached = self.fs
        return upath

    def stats(self, path: PathArg = '') -> tuple[int, int]:
        """``(file count, total bytes)`` under ``path`` from one recursive listing (files only)."""
        norm = self._key_of(path)
        backend = self.path(norm)
        return self._call('stats', norm, lambda: self._stats(backend))

    def _stats(self, path: str) -> tuple[int, int]:
        self.fs.invalidate_cache(path)
        try:
            found: Mapping[str, Mapping[str, Any]] = self.fs.find(path, detail=True)
        except FileNotFoundError:
            return 0, 0
        files = [info for info in found.values() if info.get('type', 'file') == 'file']
        return len(files), sum(int(info.get('size') or 0) for info in files)

    def get_path_file_count(self, path: PathArg = '') -> int:
        """Number of files (not folders) under ``path``, recursively."""
        return self.stats(path)[0]

    def get_path_total_size(self, path: PathArg = '') -> int:
        """Total bytes of the files under ``path``, recursively."""
        return self.stats(path)[1]

    def close(self) -> None:
        """Drop the connection; the next call reconnects."""
        self._reset_connection()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        shown = ', '.join(f'{k}={v!r}' for k, v in self._shown_config.items())
        return f'{type(self).__name__}({shown})'

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(f'{type(self).__name__} holds credentials and cannot be pickled; pass its configuration')

    # ----------------------------------------------------------------- helpers
    def _run_many(
        self,
        operation: str,
        pairs: builtins.list[tuple[Any, Any]],
        one: Callable[[tuple[Any, Any]], T],
        progress: Progress | None,
        workers: int,
    ) -> builtins.list[T]:
        total = len(pairs)
        results: builtins.list[T | None] = [None] * total
        failures: builtins.list[tuple[Any, StorageError]] = []
        done = 0
        if progress:
            progress(0, total)
        with ThreadPoolExecutor(max_workers=max(1, min(workers, total or 1))) as pool:
            futures = {pool.submit(one, pair): index for index, pair in enumerate(pairs)}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except StorageError as error:
                    failures.append((pairs[index], error))
                done += 1
                if progress:
                    progress(done, total)
        if failures:
            first = '; '.join(str(error) for _, error in failures[:3])
            kinds = {type(error) for _, error in failures}
            # The batch fails as each of its parts did (a missing key is StorageNotFoundError, as in download()).
            cls: type[StorageError] = (
                StorageUploadError if operation == 'upload' else kinds.pop() if len(kinds) == 1 else StorageError
            )
            side = 1 if operation == 'upload' else 0
            raise cls(
                f'{len(failures)} of {total} {operation}s failed: {first}',
                details={'provider': self.provider, 'failed': [str(pair[side]) for pair, _ in failures]},
            )
        return results  # type: ignore[return-value]


def accepted_config_keys(models: Iterable[type[BaseModel]]) -> set[str]:
    """Keys the configuration models take: field names, string aliases and ``key_aliases``."""
    keys: set[str] = set()
    for model in models:
        for name, field in model.model_fields.items():
            keys.add(name)
            if isinstance(field.alias, str):
                keys.add(field.alias)
        keys.update(old for old, _ in getattr(model, 'key_aliases', ()))
    return keys


def refuse_unknown_keys(raw: Mapping[str, Any], models: Iterable[type[BaseModel]], provider: str) -> None:
    """A misspelled key is an error with a did-you-mean, never silently ignored.

    ``endpoint_ur`` would otherwise send an upload to real AWS. Only key names are shown, never values.
    """
    valid = accepted_config_keys(models)
    unknown = sorted(str(key) for key in raw if str(key) not in valid)
    if unknown:
        raise StorageConfigError(
            f'invalid {provider} storage configuration: ' + unknown_names_message('configuration key', unknown, valid),
            details={'provider': provider, 'unknown': unknown, 'valid': sorted(valid)},
        )


def parse_config(model: type[ConfigT], raw: Mapping[str, Any], provider: str) -> ConfigT:
    """Validate ``raw`` against ``model``; the error lists keys and problems, never values."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        problems = '; '.join(
            f'{".".join(str(p) for p in e["loc"]) or "configuration"}: {e["msg"]}' for e in error.errors()
        )
        raise StorageConfigError(
            f'invalid {provider} storage configuration: {problems}',
            details={'provider': provider, 'keys': [str(e['loc'][0]) for e in error.errors() if e['loc']]},
        ) from None


def _existing_file(source: str | os.PathLike[str], provider: str) -> Path:
    path = Path(source)
    if not path.is_file():
        raise StorageNotFoundError(
            f'{provider} upload: local file {str(path)!r} does not exist or is not a file',
            details={'provider': provider, 'source': str(path)},
        )
    return path


def _pairs(items: Mapping[Any, Any] | Iterable[tuple[Any, Any]]) -> builtins.list[tuple[Any, Any]]:
    return list(items.items()) if isinstance(items, Mapping) else [tuple(pair) for pair in items]


def _status(error: BaseException) -> int | None:
    for attr in ('status', 'code', 'status_code'):
        value = getattr(error, attr, None)
        if isinstance(value, int):
            return value
    return None


def _unavailable(error: BaseException) -> bool:
    """Connection failures and 5xx answers, however the client library spells them."""
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    status = _status(error)
    if status is not None and status >= 500:
        return True
    if getattr(error, 'errno', None) in (errno.EBUSY, errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH):
        return True  # s3fs maps 503 SlowDown/ServiceUnavailable to EBUSY
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {'EndpointConnectionError', 'ConnectTimeoutError', 'ReadTimeoutError', 'ClientConnectionError'})


def _hide_storage_options(fs: Any) -> None:
    """fsspec keeps constructor kwargs (credentials included) for ``to_json``/pickling: drop them."""
    options = getattr(fs, 'storage_options', None)
    if isinstance(options, dict):
        fs.storage_options = redact_config(options)


def iter_chunks(handle: IO[bytes], size: int = _CHUNK) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk
