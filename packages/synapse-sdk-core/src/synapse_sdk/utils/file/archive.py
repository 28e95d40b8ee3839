"""Zip a plugin folder, and unzip archives without letting them write outside their target."""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from synapse_sdk.core.errors import ArchiveError, MissingFileError

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

MAX_MEMBERS = 100_000
MAX_TOTAL_SIZE = 4 * 1024**3


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
        raise MissingFileError(f'archive source {src} does not exist', details={'path': str(src)})
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


def _safe_member_path(name: str) -> PurePosixPath:
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
    progress_callback: ProgressCallback | None = None,
) -> Path:
    """Extract a zip into ``destination`` (which must not exist or be empty), all or nothing.

    Refuses members that escape the target (``../``, absolute paths, drive letters), links, more
    than ``max_members`` members and more than ``max_total_size`` bytes once decompressed.
    """
    target = Path(destination)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ArchiveError(
            f'{target} already exists and is not empty; choose a new folder', details={'path': str(target)}
        )
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as error:
        raise ArchiveError(f'{archive} is not a valid zip archive ({error})') from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            raise ArchiveError(f'{archive} has {len(infos)} members; the limit is {max_members}')
        declared = 0
        for info in infos:
            _safe_member_path(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError(f'archive member {info.filename!r} is a link; links are not extracted')
            declared += info.file_size
        if declared > max_total_size:
            raise ArchiveError(f'{archive} expands to {declared} bytes; the limit is {max_total_size}')
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f'.{target.name}.', dir=target.parent))
        try:
            written = 0
            for index, info in enumerate(infos, 1):
                out = staging.joinpath(*_safe_member_path(info.filename).parts)
                if info.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, 'wb') as dst:
                    for chunk in iter(lambda: src.read(1024 * 1024), b''):
                        written += len(chunk)
                        if written > max_total_size:  # the header may lie about sizes
                            raise ArchiveError(f'{archive} expands past the limit of {max_total_size} bytes')
                        dst.write(chunk)
                if progress_callback:
                    progress_callback(index, len(infos))
            if target.exists():
                target.rmdir()
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def list_archive_contents(archive: str | os.PathLike[str]) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        return zf.namelist()
