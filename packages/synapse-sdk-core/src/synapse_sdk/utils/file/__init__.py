"""File utilities: checksums, archives and requirements files."""

from synapse_sdk.utils.file._archive import (
    DEFAULT_EXCLUDES,
    ArchiveFilter,
    PackPlan,
    SecretFileError,
    create_archive,
    create_archive_from_git,
    extract_archive,
    git_files,
    list_archive_contents,
)
from synapse_sdk.utils.file._checksum import (
    calculate_checksum,
    calculate_checksum_from_bytes,
    calculate_checksum_from_file_object,
    verify_checksum,
)
from synapse_sdk.utils.file._requirements import read_requirements

__all__ = [
    'DEFAULT_EXCLUDES',
    'ArchiveFilter',
    'PackPlan',
    'SecretFileError',
    'calculate_checksum',
    'calculate_checksum_from_bytes',
    'calculate_checksum_from_file_object',
    'create_archive',
    'create_archive_from_git',
    'extract_archive',
    'git_files',
    'list_archive_contents',
    'read_requirements',
    'verify_checksum',
]
