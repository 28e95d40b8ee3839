"""An exclusive lock file beside a path, so two processes never write the same output at once.

The lock is a file created with ``O_CREAT | O_EXCL`` holding the owner's pid and host; it is removed
when the holder is done. A lock left by a process that no longer runs (same host) is stale and is
taken over; any other existing lock makes :func:`exclusive_lock` raise :class:`LockedError`.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from synapse_sdk.core.errors import LockedError as LockedError


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file of ``path``: ``.<name>.lock`` beside it."""
    target = Path(path)
    return target.parent / f'.{target.name}.lock'


def _owner(lock: Path) -> tuple[int | None, str]:
    try:
        text = lock.read_text(encoding='utf-8')
    except (OSError, UnicodeDecodeError):
        return None, ''
    pid_text, _, host = text.strip().partition(' ')
    try:
        return int(pid_text), host
    except ValueError:
        return None, host


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike[str], *, what: str = 'another process') -> Iterator[Path]:
    """Hold the lock file of ``path`` for the ``with`` block; :class:`LockedError` when a live owner has it."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    here = socket.gethostname()
    for _attempt in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid, host = _owner(lock)
            if pid is not None and host == here and not _alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock)  # stale: its owner is gone
                continue
            owner = f' (pid {pid})' if pid is not None else ''
            raise LockedError(
                f'{what}{owner} is writing {path}; wait for it to finish (remove {lock} if no such process runs)',
                details={'path': str(path), 'lock': str(lock), 'pid': pid},
            ) from None
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(f'{os.getpid()} {here}\n')
        break
    else:
        raise LockedError(f'could not take the lock {lock}', details={'path': str(path), 'lock': str(lock)})
    try:
        yield lock
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
