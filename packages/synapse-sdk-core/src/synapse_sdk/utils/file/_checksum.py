"""File checksums computed in constant memory."""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

ALGORITHMS = ('md5', 'sha1', 'sha256', 'sha512')
CHUNK_SIZE = 1024 * 1024


def _hasher(algorithm: str) -> hashlib._Hash:
    if algorithm not in ALGORITHMS:
        raise ValueError(f'unsupported checksum algorithm {algorithm!r}; use one of {", ".join(ALGORITHMS)}')
    return hashlib.new(algorithm)


def calculate_checksum(
    path: str | os.PathLike[str], algorithm: str = 'md5', *, chunk_size: int = CHUNK_SIZE, prefix: str = ''
) -> str:
    """Hex digest of the file at ``path``, read in ``chunk_size`` pieces; ``prefix`` is prepended."""
    digest = _hasher(algorithm)
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b''):
            digest.update(chunk)
    return prefix + digest.hexdigest()


def calculate_checksum_from_bytes(data: bytes, algorithm: str = 'md5') -> str:
    digest = _hasher(algorithm)
    digest.update(data)
    return digest.hexdigest()


def calculate_checksum_from_file_object(
    handle: BinaryIO, algorithm: str = 'md5', *, chunk_size: int = CHUNK_SIZE
) -> str:
    """Digest of a binary file object from its start; its position is restored afterwards."""
    digest = _hasher(algorithm)
    position = handle.tell()
    handle.seek(0)
    try:
        for chunk in iter(lambda: handle.read(chunk_size), b''):
            digest.update(chunk)
    finally:
        handle.seek(position)
    return digest.hexdigest()


def verify_checksum(path: str | os.PathLike[str], expected: str, algorithm: str = 'md5') -> bool:
    """Compare case-insensitively; a ``dev-<hex>`` style prefix in ``expected`` is ignored."""
    wanted = expected.rsplit('-', 1)[-1].lower()
    return calculate_checksum(path, algorithm) == wanted
