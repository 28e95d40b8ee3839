"""The structural interface of a storage: what ``get_storage`` returns and every provider implements.

Every built-in provider satisfies it (they share :class:`~synapse_sdk.utils.storage.FsspecStorage`);
a third-party provider registered with ``register_provider`` or the ``synapse_sdk.storage`` entry
point must too, by subclassing ``FsspecStorage`` (any fsspec filesystem) or by implementing these
members itself: no base class is needed. ``get_storage`` refuses a provider that does not
(:func:`conformance_problems` says what is missing).
"""

from __future__ import annotations

import builtins
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar, runtime_checkable

from synapse_sdk.utils.storage._keys import KeyLike

if TYPE_CHECKING:
    from typing import TypeAlias

    from upath import UPath

    StoragePath: TypeAlias = Path | UPath
    """What ``get_pathlib`` returns: ``pathlib.Path`` for local storage, else a ``UPath``."""
    PathArg: TypeAlias = KeyLike | UPath
    """A key, or a path object from ``get_pathlib`` (accepted where a folder is named)."""

Key = TypeVar('Key', bound=KeyLike)
Local = TypeVar('Local', bound='str | os.PathLike[str]')

Progress = Callable[[int, int], None]
"""``progress(done, total)``: files finished so far out of the batch."""


class ListEntry(TypedDict):
    """One entry of :meth:`StorageProtocol.list_details`."""

    key: str
    """Relative to the root; folders end in ``/`` in non-recursive listings."""
    size: int
    type: str
    """``'file'`` or ``'directory'``."""


@runtime_checkable
class StorageProtocol(Protocol):
    """What the SDK (and users) call on a storage. Keys are ``/`` paths relative to its root.

    A missing key raises :class:`~synapse_sdk.utils.storage.StorageNotFoundError` (also a
    ``FileNotFoundError`` and the SDK's ``MissingFileError``) from every method on every provider;
    a key that leaves the root raises ``PathEscapeError``.
    """

    @property
    def provider(self) -> str:
        """The registered name (``'s3'``, ``'local'``...)."""
        ...

    def uri(self, key: KeyLike = '') -> str:
        """The canonical, credential-free address of ``key`` (``s3://bucket/key``...)."""
        ...

    def get_url(self, key: KeyLike, *, expires: int = 3600) -> str:
        """A URL to fetch ``key`` with; presigned where the backend supports it."""
        ...

    def upload(self, source: str | os.PathLike[str], key: KeyLike) -> str:
        """Copy a local file to ``key``; return its URI. On failure nothing is left at ``key``."""
        ...

    def upload_many(
        self,
        items: Mapping[Local, Key] | Iterable[tuple[Local, Key]],
        *,
        progress: Progress | None = None,
        max_concurrency: int | None = None,
    ) -> builtins.list[str]:
        """Upload ``(source, key)`` pairs concurrently; their URIs in input order."""
        ...

    def download(self, key: KeyLike, target: str | os.PathLike[str]) -> Path:
        """Copy ``key`` to the local file ``target`` (written atomically); returns it."""
        ...

    def download_many(
        self,
        items: Mapping[Key, Local] | Iterable[tuple[Key, Local]],
        *,
        progress: Progress | None = None,
        max_concurrency: int | None = None,
    ) -> builtins.list[Path]:
        """Download ``(key, local)`` pairs concurrently; the local paths in input order."""
        ...

    def exists(self, key: PathArg) -> bool:
        """Whether ``key`` is a file or a non-empty folder."""
        ...

    def delete(self, key: PathArg, *, recursive: bool = False, missing_ok: bool = True) -> None:
        """Delete the file ``key`` (with ``recursive=True``, everything under the folder ``key``)."""
        ...

    def list(self, prefix: PathArg = '', *, recursive: bool = False) -> builtins.list[str]:
        """Keys under the folder ``prefix``, sorted; a missing folder lists nothing."""
        ...

    def list_details(self, prefix: PathArg = '', *, recursive: bool = False) -> builtins.list[ListEntry]:
        """Like :meth:`list`, with the size and type of each entry."""
        ...

    def glob(self, pattern: str) -> builtins.list[str]:
        """Keys matching ``pattern`` relative to the root (``**`` crosses folders)."""
        ...

    def open(self, key: KeyLike, mode: str = 'rb', **kwargs: Any) -> IO[Any]:
        """A file object on ``key``; reading streams, writing commits on close."""
        ...

    def read_bytes(self, key: KeyLike) -> bytes:
        """The whole content of ``key``."""
        ...

    def write_bytes(self, key: KeyLike, data: bytes) -> str:
        """Store ``data`` at ``key`` (whole or not at all); returns its URI."""
        ...

    def size(self, key: KeyLike) -> int:
        """Bytes in the file ``key``."""
        ...

    def get_pathlib(self, path: PathArg = '') -> StoragePath:
        """A ``pathlib.Path`` (local) or ``UPath`` for ``path`` under the storage root."""
        ...

    def stats(self, path: PathArg = '') -> tuple[int, int]:
        """``(file count, total bytes)`` under ``path``, recursively, files only."""
        ...

    def get_path_file_count(self, path: PathArg = '') -> int:
        """Files (not folders) under ``path``, recursively."""
        ...

    def get_path_total_size(self, path: PathArg = '') -> int:
        """Total bytes of the files under ``path``, recursively."""
        ...

    def close(self) -> None:
        """Drop the connection; the next call reconnects."""
        ...


def protocol_members() -> tuple[str, ...]:
    """The names a provider must have: every public member of :class:`StorageProtocol`."""
    return tuple(name for name in vars(StorageProtocol) if not name.startswith('_'))


_CHECKED: dict[type, tuple[str, ...]] = {}


def conformance_problems(cls: type) -> tuple[str, ...]:
    """What keeps ``cls`` from being a :class:`StorageProtocol`: missing members, incompatible signatures.

    Checked from the signatures (names, kinds and defaults of the parameters); the types are
    checked by mypy. Empty when ``cls`` conforms.
    """
    if cls not in _CHECKED:
        _CHECKED[cls] = _problems(cls)
    return _CHECKED[cls]


def _problems(cls: type) -> tuple[str, ...]:
    problems: builtins.list[str] = []
    for name in protocol_members():
        wanted = inspect.getattr_static(StorageProtocol, name)
        if not hasattr(cls, name):
            if isinstance(wanted, property):
                continue  # an attribute the instance sets: checked on the instance by get_storage
            problems.append(f'{name}() is missing')
            continue
        if isinstance(wanted, property):
            continue
        have = getattr(cls, name)
        if not callable(have):
            problems.append(f'{name} is not a method')
            continue
        problem = _signature_problem(name, inspect.signature(wanted), _signature(have))
        if problem:
            problems.append(problem)
    return tuple(problems)


def _signature(function: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: cannot tell, accept it
        return None


def _signature_problem(name: str, wanted: inspect.Signature, have: inspect.Signature | None) -> str | None:
    """Whether a method with ``have`` can be called every way the protocol's ``wanted`` allows."""
    if have is None:
        return None
    P = inspect.Parameter
    expected = [p for p in wanted.parameters.values() if p.name != 'self']
    params = [p for p in have.parameters.values() if p.name != 'self']
    by_name = {p.name: p for p in params}
    var_kw = any(p.kind is P.VAR_KEYWORD for p in params)
    var_pos = any(p.kind is P.VAR_POSITIONAL for p in params)
    positional = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    for index, want in enumerate(expected):
        if want.kind is P.VAR_KEYWORD:
            if not var_kw:
                return f'{name}() must accept **kwargs'
            continue
        got = by_name.get(want.name)
        if want.kind is P.POSITIONAL_OR_KEYWORD:
            if index >= len(positional) and not var_pos:
                return f'{name}() must take {want.name!r} as positional parameter {index + 1}'
            if index < len(positional) and positional[index].name != want.name and not var_kw:
                return f'{name}() parameter {index + 1} must be named {want.name!r}, not {positional[index].name!r}'
            got = positional[index] if index < len(positional) else None
        elif got is None and not var_kw:
            return f'{name}() must accept the keyword {want.name!r}'
        if got is not None and want.default is not P.empty:
            if got.default is P.empty:
                return f'{name}() parameter {want.name!r} needs a default ({want.default!r})'
            if got.default != want.default:
                return f'{name}() parameter {want.name!r} defaults to {got.default!r}, not {want.default!r}'
    known = {p.name for p in expected}
    for param in params:
        if param.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD) or param.name in known:
            continue
        if param.default is P.empty:
            return f'{name}() has a required parameter {param.name!r} the protocol does not pass'
    return None
