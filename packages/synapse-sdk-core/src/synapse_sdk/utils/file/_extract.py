"""Extract zip and tar archives all or nothing, refusing anything that is not plain files and folders.

Checked before a byte is written: member names (empty, ``.``, ``..``, absolute, drive letters),
duplicates, a name that is both a file and a folder (``a`` beside ``a/b``), links and devices, the
member count, the total size, and the compression ratio (a few MB may not expand to gigabytes).
Sizes are checked again while writing, because headers may lie. Every refusal is an ArchiveError.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from synapse_sdk.core._atomic import staging_dir
from synapse_sdk.core.errors import ArchiveError

ProgressCallback = Callable[[int, int], None]

MAX_MEMBERS = 100_000
MAX_TOTAL_SIZE = 4 * 1024**3
MAX_RATIO = 100.0  # expanded size / archive size
RATIO_FLOOR = 16 << 20  # archives that expand to less than this are not held to the ratio
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Member:
    name: str  # as written in the archive
    path: PurePosixPath  # normalised, relative, never empty
    is_dir: bool
    size: int
    open: Callable[[], IO[bytes]] | None  # None for folders


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path a member may be written to; anything that escapes the target is refused."""
    if not name.strip():
        raise ArchiveError('archive member with an empty name', details={'member': name})
    path = PurePosixPath(name.replace('\\', '/'))
    if path.is_absolute() or (path.parts and ':' in path.parts[0]) or '..' in path.parts:
        raise ArchiveError(
            f'archive member {name!r} would be written outside the target folder', details={'member': name}
        )
    return path


def extract_archive(
    archive: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    max_members: int = MAX_MEMBERS,
    max_total_size: int = MAX_TOTAL_SIZE,
    max_ratio: float | None = MAX_RATIO,
    progress_callback: ProgressCallback | None = None,
) -> Path:
    """Extract a zip or tar (``.tar``, ``.tar.gz``, ...) into ``destination``, all or nothing.

    ``destination`` must not exist or be empty. Refuses unsafe or conflicting member names, links
    and devices, more than ``max_members`` members, more than ``max_total_size`` bytes once
    decompressed, and an archive that expands more than ``max_ratio`` times its own size (above
    16 MiB; ``None`` turns the ratio check off).
    """
    source = Path(archive)
    target = Path(destination)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ArchiveError(
            f'{target} already exists and is not empty; choose a new folder', details={'path': str(target)}
        )
    with _members(source) as members:
        if len(members) > max_members:
            raise ArchiveError(f'{source} has {len(members)} members; the limit is {max_members}')
        files = _check_layout(members, source)
        limit = _expansion_limit(source, max_total_size, max_ratio)
        declared = sum(m.size for m in files)
        if declared > limit:
            raise ArchiveError(_too_big(source, declared, limit, max_total_size), details={'path': str(source)})
        staging = staging_dir(target)
        try:
            written = 0
            for index, member in enumerate(members, 1):
                out = staging.joinpath(*member.path.parts)
                if member.is_dir or member.open is None:
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with member.open() as src, open(out, 'xb') as dst:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > limit:  # the header may lie about sizes
                            raise ArchiveError(_too_big(source, written, limit, max_total_size, past=True))
                        dst.write(chunk)
                if progress_callback:
                    progress_callback(index, len(members))
            if target.exists():
                target.rmdir()
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def _too_big(source: Path, size: int, limit: int, max_total_size: int, *, past: bool = False) -> str:
    what = f'expands past {limit:,} bytes' if past else f'expands to {size:,} bytes'
    if limit < max_total_size:
        return (
            f'{source} {what}, more than {limit / max(source.stat().st_size, 1):.0f} times its own size '
            '(a compression bomb?); pass a larger max_ratio (or None) to extract it'
        )
    return f'{source} {what}; the limit is {max_total_size:,} (max_total_size)'


def _expansion_limit(source: Path, max_total_size: int, max_ratio: float | None) -> int:
    if max_ratio is None:
        return max_total_size
    return min(max_total_size, max(RATIO_FLOOR, int(source.stat().st_size * max_ratio)))


def _check_layout(members: list[_Member], source: Path) -> list[_Member]:
    """The file members; refuses duplicates and names that are both a file and a folder."""
    files: dict[PurePosixPath, str] = {}
    folders: set[PurePosixPath] = set()
    for member in members:
        if member.is_dir:
            folders.add(member.path)
        elif member.path in files:
            raise ArchiveError(
                f'{source}: member {member.name!r} appears twice; refusing to pick one',
                details={'member': member.name},
            )
        else:
            files[member.path] = member.name
        folders.update(member.path.parents)
    for path, name in files.items():
        if path in folders:
            raise ArchiveError(
                f'{source}: member {name!r} is a file, but other members put files inside a folder of that name',
                details={'member': name},
            )
    return [m for m in members if not m.is_dir]


class _Opened:
    """The members of an open archive, as a context manager that closes it."""

    def __init__(self, members: list[_Member], handle: zipfile.ZipFile | tarfile.TarFile) -> None:
        self.members = members
        self.handle = handle

    def __enter__(self) -> list[_Member]:
        return self.members

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def _members(source: Path) -> _Opened:
    if zipfile.is_zipfile(source):
        try:
            zf = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError(f'{source} is not a valid zip archive ({error})') from None
        return _Opened(list(_zip_members(zf)), zf)
    try:
        tf = tarfile.open(source)
    except (tarfile.TarError, OSError) as error:
        raise ArchiveError(f'{source} is not a valid zip or tar archive ({error})') from None
    try:
        return _Opened(list(_tar_members(tf)), tf)
    except BaseException:
        tf.close()
        raise


def _zip_members(zf: zipfile.ZipFile) -> Iterator[_Member]:
    for info in zf.infolist():
        path = safe_member_path(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f'archive member {info.filename!r} is a link; links are not extracted')
        if not path.parts:  # "./": the target folder itself
            if info.is_dir():
                continue
            raise ArchiveError(f'archive member {info.filename!r} has no file name', details={'member': info.filename})
        yield _Member(
            info.filename,
            path,
            info.is_dir(),
            info.file_size,
            None if info.is_dir() else (lambda info=info: zf.open(info)),  # type: ignore[misc]
        )


def _tar_members(tf: tarfile.TarFile) -> Iterator[_Member]:
    try:
        infos = tf.getmembers()
    except tarfile.TarError as error:
        raise ArchiveError(f'{tf.name!s} is not a valid tar archive ({error})') from None
    for info in infos:
        path = safe_member_path(info.name)
        if info.issym() or info.islnk():
            raise ArchiveError(f'archive member {info.name!r} is a link; links are not extracted')
        if not (info.isfile() or info.isdir()):
            raise ArchiveError(f'archive member {info.name!r} is not a file or folder; refused')
        if not path.parts:
            if info.isdir():
                continue
            raise ArchiveError(f'archive member {info.name!r} has no file name', details={'member': info.name})
        yield _Member(info.name, path, info.isdir(), info.size, None if info.isdir() else _tar_opener(tf, info))


def _tar_opener(tf: tarfile.TarFile, info: tarfile.TarInfo) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        handle = tf.extractfile(info)
        if handle is None:  # pragma: no cover - regular files always have a handle
            raise ArchiveError(f'archive member {info.name!r} cannot be read')
        return handle

    return open_member
