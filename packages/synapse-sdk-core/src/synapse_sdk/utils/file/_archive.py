"""Zip a plugin folder; what may be zipped is decided by :mod:`synapse_sdk.core._packing` (the one
rule for every packer). Extraction (re-exported here) lives in :mod:`synapse_sdk.utils.file._extract`.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from synapse_sdk.core._atomic import clean_stale, temp_path
from synapse_sdk.core._packing import DEFAULT_EXCLUDES, PackPlan, SecretFileError, Skipped, git_candidates, plan_folder
from synapse_sdk.core.errors import MissingFileError
from synapse_sdk.utils.file._extract import MAX_MEMBERS as MAX_MEMBERS
from synapse_sdk.utils.file._extract import MAX_TOTAL_SIZE as MAX_TOTAL_SIZE
from synapse_sdk.utils.file._extract import extract_archive as extract_archive

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

COMPRESSION = {
    'deflated': zipfile.ZIP_DEFLATED,
    'stored': zipfile.ZIP_STORED,
    'bzip2': zipfile.ZIP_BZIP2,
    'lzma': zipfile.ZIP_LZMA,
}


@dataclass(frozen=True)
class ArchiveFilter:
    """Which relative paths go into an archive, on top of the packing rules of
    :mod:`synapse_sdk.core._packing` (default excludes, ignore files, symlinks, content check).

    ``exclude_patterns`` are extra gitignore lines; ``use_defaults=False`` drops the junk excludes
    (never the secret ones); ``allow`` names files that may ship although they look secret. An
    include pattern matches the whole relative path, the file name or any folder on the way; an
    empty include list means everything.
    """

    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    use_defaults: bool = True
    allow: tuple[str, ...] = ()

    @classmethod
    def from_patterns(
        cls,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
        *,
        use_defaults: bool = True,
        allow: Iterable[str] = (),
    ) -> ArchiveFilter:
        return cls(tuple(p.rstrip('/') for p in include), tuple(exclude), use_defaults, tuple(allow))

    def accepts(self, relative: str) -> bool:
        path = PurePosixPath(relative)
        return not self.include_patterns or any(_matches(path, p) for p in self.include_patterns)

    def plan(
        self, source: str | os.PathLike[str], *, use_git: bool = False, include_untracked: bool = True
    ) -> PackPlan:
        """What packing ``source`` with this filter ships and leaves out (see :func:`plan_folder`)."""
        plan = plan_folder(
            source,
            use_git=use_git,
            include_untracked=include_untracked,
            use_defaults=self.use_defaults,
            exclude=self.exclude_patterns,
            allow=self.allow,
        )
        if self.include_patterns:
            plan.excluded += [Skipped(n, 'not in the include patterns') for n in plan.files if not self.accepts(n)]
            plan.files = [n for n in plan.files if self.accepts(n)]
        return plan


def _matches(path: PurePosixPath, pattern: str) -> bool:
    text = str(path)
    if fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(path.name, pattern):
        return True
    return any(fnmatch.fnmatchcase(part, pattern) for part in path.parts[:-1])


def _report_skipped(plan: PackPlan) -> None:
    links = [s for s in plan.excluded if 'symlink' in s.reason]
    for skipped in links:
        logger.warning('not packed: %s (%s)', skipped.path, skipped.reason)


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
    clean_stale(target.parent)  # a killed run's half-written archive goes now
    tmp = temp_path(target)
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
    """Zip ``source`` into ``destination`` (written atomically); returns the archive path.

    Secret files, junk, ``.gitignore``/``.synapseignore`` matches and symlinks leading out of the
    folder are left out; files that look like private keys raise :class:`SecretFileError`.
    """
    src = _check_source(source)
    plan = (filter or ArchiveFilter()).plan(src).check()
    _report_skipped(plan)
    members = [(src / n, n) for n in plan.files]
    return _write_zip(members, destination, compression, compression_level, progress_callback)


def git_files(source: str | os.PathLike[str], *, include_untracked: bool = True) -> list[str]:
    """Files git lists in ``source``: tracked plus untracked-but-not-ignored (no other rule applied).

    Works for a folder anywhere inside a repository; paths are relative to ``source``.
    """
    src = _check_source(source)
    return [n for n in git_candidates(src, include_untracked) if (src / n).is_file()]


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
    """Zip the files git knows in ``source`` (honours ``.gitignore``), written atomically.

    The default excludes, ``.synapseignore``, the symlink rule and the content check apply on top
    of git's answer, so an untracked ``.env.local`` or ``id_rsa`` is never shipped.
    """
    src = _check_source(source)
    plan = (filter or ArchiveFilter()).plan(src, use_git=True, include_untracked=include_untracked).check()
    _report_skipped(plan)
    members = [(src / n, n) for n in plan.files]
    return _write_zip(members, destination, compression, compression_level, progress_callback)


def list_archive_contents(archive: str | os.PathLike[str]) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        return zf.namelist()


__all__ = [
    'COMPRESSION',
    'DEFAULT_EXCLUDES',
    'ArchiveFilter',
    'PackPlan',
    'SecretFileError',
    'create_archive',
    'create_archive_from_git',
    'extract_archive',
    'git_files',
    'list_archive_contents',
]
