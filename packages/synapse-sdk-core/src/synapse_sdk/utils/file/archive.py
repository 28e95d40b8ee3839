"""Zip a plugin folder; extraction (re-exported here) lives in :mod:`synapse_sdk.utils.file.extract`."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from synapse_sdk.core.errors import ArchiveError
from synapse_sdk.utils.file.extract import MAX_MEMBERS as MAX_MEMBERS
from synapse_sdk.utils.file.extract import MAX_TOTAL_SIZE as MAX_TOTAL_SIZE
from synapse_sdk.utils.file.extract import extract_archive as extract_archive

ProgressCallback = Callable[[int, int], None]

DEFAULT_EXCLUDES: tuple[str, ...] = (
    '.git',
    '.hg',
    '.svn',
    '__pycache__',
    '*.pyc',
    '*.pyo',
    '*.pyd',
    '.venv',
    'venv',
    '.env',
    '.tox',
    '.nox',
    '.idea',
    '.vscode',
    '.DS_Store',
    'dist',
    'build',
    '*.egg-info',
    'node_modules',
    '.mypy_cache',
    '.pytest_cache',
    '.ruff_cache',
    '.coverage',
    'htmlcov',
    '*.log',
)

COMPRESSION = {
    'deflated': zipfile.ZIP_DEFLATED,
    'stored': zipfile.ZIP_STORED,
    'bzip2': zipfile.ZIP_BZIP2,
    'lzma': zipfile.ZIP_LZMA,
}


@dataclass(frozen=True)
class ArchiveFilter:
    """Which relative paths go into an archive.

    A pattern matches the whole relative path, the file name, or any folder on the way
    (``dist`` excludes ``dist/x.whl`` and ``sub/dist/y``). An empty include list means everything.
    """

    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = field(default=DEFAULT_EXCLUDES)

    @classmethod
    def from_patterns(
        cls, include: Iterable[str] = (), exclude: Iterable[str] = (), *, use_defaults: bool = True
    ) -> ArchiveFilter:
        excludes = (*DEFAULT_EXCLUDES, *exclude) if use_defaults else tuple(exclude)
        return cls(tuple(p.rstrip('/') for p in include), tuple(p.rstrip('/') for p in excludes))

    def excludes(self, relative: str) -> bool:
        path = PurePosixPath(relative)
        return any(_matches(path, pattern) for pattern in self.exclude_patterns) or any(
            fnmatch.fnmatchcase(path.name, pattern) for pattern in self.exclude_patterns
        )

    def accepts(self, relative: str) -> bool:
        if self.excludes(relative):
            return False
        path = PurePosixPath(relative)
        return not self.include_patterns or any(_matches(path, p) for p in self.include_patterns)


def _matches(path: PurePosixPath, pattern: str) -> bool:
    text = str(path)
    if fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(path.name, pattern):
        return True
    return any(fnmatch.fnmatchcase(part, pattern) for part in path.parts[:-1])


def _walk(source: Path, archive_filter: ArchiveFilter) -> Iterator[tuple[Path, str]]:
    for root, dirs, files in os.walk(source):
        base = Path(root)
        rel_root = base.relative_to(source).as_posix()
        dirs[:] = sorted(d for d in dirs if not archive_filter.excludes(d if rel_root == '.' else f'{rel_root}/{d}'))
        for name in sorted(files):
            relative = name if rel_root == '.' else f'{rel_root}/{name}'
            if archive_filter.accepts(relative):
                yield base / name, relative


def _check_source(source: str | os.PathLike[str]) -> Path:
    src = Path(source)
    if not src.exists():
        raise FileNotFoundError(f'archive source {src} does not exist')
    if not src.is_dir():
        raise NotADirectoryError(f'archive source {src} is not a folder')
    return src


def _write_zip(
    members: list[tuple[Path, str]],
    destination: str | os.PathLike[str],
    compression: str,
    compression_level: int | None,
    progress_callback: ProgressCallback | None,
) -> Path:
    if compression not in COMPRESSION:
        raise ValueError(f'unknown compression {compression!r}; use one of {", ".join(COMPRESSION)}')
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{target.name}.', suffix='.tmp', dir=target.parent)
    os.close(fd)
    try:
        level = compression_level if compression in ('deflated', 'bzip2') else None
        with zipfile.ZipFile(tmp, 'w', COMPRESSION[compression], compresslevel=level) as archive:
            for index, (path, relative) in enumerate(members, 1):
                archive.write(path, relative)
                if progress_callback:
                    progress_callback(index, len(members))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def create_archive(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    filter: ArchiveFilter | None = None,
    compression: str = 'deflated',
    compression_level: int | None = 6,
    progress_callback: ProgressCallback | None = None,
) -> Path:
    """Zip ``source`` into ``destination`` (written atomically); returns the archive path."""
    src = _check_source(source)
    members = list(_walk(src, filter or ArchiveFilter()))
    return _write_zip(members, destination, compression, compression_level, progress_callback)


def git_files(source: str | os.PathLike[str], *, include_untracked: bool = True) -> list[str]:
    """Files git would ship from ``source``: tracked plus untracked-but-not-ignored.

    Works for a folder anywhere inside a repository; paths are relative to ``source``.
    """
    src = _check_source(source)
    command = ['git', '-C', str(src), 'ls-files', '-z', '--cached']
    if include_untracked:
        command += ['--others', '--exclude-standard']
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        raise ArchiveError('git is not installed; install it or use create_archive() instead') from None
    if done.returncode != 0:
        message = done.stderr.decode(errors='replace').strip()
        raise ArchiveError(f'{src} is not inside a git repository ({message}); use create_archive() instead')
    names = sorted({n for n in done.stdout.decode().split('\0') if n})
    return [n for n in names if (src / n).is_file()]


def create_archive_from_git(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    include_untracked: bool = True,
    filter: ArchiveFilter | None = None,
    compression: str = 'deflated',
    compression_level: int | None = 6,
    progress_callback: ProgressCallback | None = None,
) -> Path:
    """Zip the files git knows in ``source`` (honours ``.gitignore``), written atomically."""
    src = _check_source(source)
    chosen = filter or ArchiveFilter(exclude_patterns=())
    members = [(src / n, n) for n in git_files(src, include_untracked=include_untracked) if chosen.accepts(n)]
    return _write_zip(members, destination, compression, compression_level, progress_callback)


def list_archive_contents(archive: str | os.PathLike[str]) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        return zf.namelist()
