"""Private by default on disk: the SDK's folders are 0700 and its files 0600.

``SYNAPSE_HOME`` holds the access token (``config.json``) and the embedded backend (its SQLite
database and stored files), so nobody else on the machine may read it. Folders and files that
already exist with wider modes are tightened when the SDK opens them (only those the current user
owns; others are left alone, since chmod would fail anyway).
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

logger = logging.getLogger(__name__)


def tighten(path: str | os.PathLike[str], mode: int) -> None:
    """Remove any permission beyond ``mode`` from ``path`` if it exists and the current user owns it."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return
    current = stat.S_IMODE(info.st_mode)
    if current & ~mode:
        with contextlib.suppress(OSError):
            os.chmod(path, current & mode)
            logger.info('tightened the mode of %s from %o to %o', path, current, current & mode)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) as 0700, or tighten it when it exists; returns it."""
    folder = Path(path)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):
            created.mkdir(mode=PRIVATE_DIR)
        tighten(created, PRIVATE_DIR)
    tighten(folder, PRIVATE_DIR)
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty as 0600 when missing (its folder must exist), or tighten it; returns it."""
    file = Path(path)
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        tighten(file, PRIVATE_FILE)
    return file
