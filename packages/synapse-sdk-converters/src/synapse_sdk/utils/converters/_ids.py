"""Short, stable annotation ids (DM pattern ``[A-Za-z0-9_-]+``, 10 characters)."""

from __future__ import annotations

import hashlib

_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'


def make_id(scope: str, index: int) -> str:
    """The same scope and index always give the same id, so reruns produce identical files."""
    number = int.from_bytes(hashlib.blake2b(f'{scope}\x00{index}'.encode(), digest_size=8).digest(), 'big')
    chars = []
    for _ in range(10):
        number, rest = divmod(number, 62)
        chars.append(_ALPHABET[rest])
    return ''.join(chars)
