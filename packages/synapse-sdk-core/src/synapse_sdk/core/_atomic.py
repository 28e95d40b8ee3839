"""Atomic writes and the one shape of temporary names, so leftovers are invisible and cleaned.

A reader sees the old content or the new, never half of it: data goes to a temporary entry beside
the target, then one rename puts it in place. Every temporary entry the SDK makes is named
``.synapse-tmp-<pid>-<random>-<name>``:

- storage listings and ``synapse storage ls`` hide names of that shape (:func:`is_temp_name`);
- a process killed mid-write leaves one behind; the next operation that writes into the same folder
  removes it once it is stale: its owning process is gone (same machine) or it is older than
  :data:`STALE_AFTER` seconds (:func:`clean_stale`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

TEMP_PREFIX = '.synapse-tmp-'
STALE_AFTER = 24 * 3600  # a temp entry this old is abandoned whoever owns it
_SHAPE = re.compile(r'\.synapse-tmp-(\d+)-[0-9a-f]{8}-')
_cleaned: set[str] = set()  # folders already cleaned by this process


def temp_name(name: str) -> str:
    """The temporary name for an entry that will become ``name`` (owned by this process)."""
    return f'{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{name}'


def temp_path(target: str | os.PathLike[str]) -> Path:
    """A temporary path beside ``target``, in the same folder (so the final rename is atomic)."""
    path = Path(target)
    return path.with_name(temp_name(path.name))


def is_temp_name(name: str) -> bool:
    """Is the last part of ``name`` one of the SDK's temporary entries?"""
    return name.rstrip('/').rsplit('/', 1)[-1].startswith(TEMP_PREFIX)


def owner_pid(name: str) -> int | None:
    match = _SHAPE.match(os.path.basename(name.rstrip('/')))
    return int(match.group(1)) if match else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def is_stale(path: str | os.PathLike[str], *, max_age: float = STALE_AFTER, now: float | None = None) -> bool:
    """Is the temporary entry ``path`` abandoned: owner gone, or older than ``max_age`` seconds?"""
    pid = owner_pid(os.fspath(path))
    if pid is not None and not _alive(pid):
        return True
    try:
        modified = os.lstat(path).st_mtime
    except FileNotFoundError:
        return False
    return (now if now is not None else time.time()) - modified > max_age


def clean_stale(folder: str | os.PathLike[str], *, max_age: float = STALE_AFTER, once: bool = True) -> list[Path]:
    """Remove the stale temporary entries directly inside ``folder``; returns what was removed.

    ``once``: a folder is scanned at most once per process (a thousand uploads into one folder cost
    one listing). Never raises: cleaning is a courtesy, not part of the operation.
    """
    key = os.path.abspath(folder)
    if once and key in _cleaned:
        return []
    _cleaned.add(key)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX) or not is_stale(entry.path, max_age=max_age):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: int = 0o644, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` with ``mode``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target.parent)
    tmp = temp_path(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb' if binary else 'w', encoding=None if binary else 'utf-8') as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_copy(source: str | os.PathLike[str], target: str | os.PathLike[str], *, mode: int | None = None) -> Path:
    """Copy ``source`` to ``target`` through a temporary file beside it; returns ``target``."""
    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(destination.parent)
    tmp = temp_path(destination)
    try:
        shutil.copyfile(source, tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return destination


def atomic_bytes(target: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``target`` through a temporary file beside it; returns ``target``."""
    destination = Path(target)
    with atomic_write(destination, mode if mode is not None else 0o644, binary=True) as handle:
        handle.write(data)
    return destination


def staging_dir(target: str | os.PathLike[str]) -> Path:
    """A new empty temporary folder beside ``target``, to fill and then rename onto it."""
    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(destination.parent)
    staging = temp_path(destination)
    staging.mkdir(mode=0o700)
    return staging


def scratch_dir(tag: str) -> Path:
    """A new private temporary folder in the system temp folder; stale ones of earlier runs are removed.

    For work files that never become a result in place (an archive before upload, a conversion's
    scratch space). The caller removes it; if the process is killed, the next call cleans it.
    """
    root = Path(tempfile.gettempdir())
    clean_stale(root)
    folder = root / temp_name(tag)
    folder.mkdir(mode=0o700)
    return folder


@contextlib.contextmanager
def scratch(tag: str) -> Iterator[Path]:
    """:func:`scratch_dir` removed when the block ends."""
    folder = scratch_dir(tag)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
