"""Keys are ``/``-separated paths relative to the storage root; nothing may climb out of it.

A leading ``/`` anchors at the root (``'/uploads'`` and ``'uploads'`` are the same key), as in
v1. ``..`` is resolved lexically and refused when it would leave the root.
"""

from __future__ import annotations

import os
import posixpath

from synapse_sdk.utils.storage.errors import PathEscapeError

KeyLike = str | os.PathLike[str]


def normalise_key(key: KeyLike, *, allow_root: bool = True) -> str:
    """The canonical form of ``key``: no leading/trailing ``/``, no ``.``/``..`` segments.

    ``''`` is the root itself. Raises :class:`PathEscapeError` when the key leaves the root.
    """
    text = os.fspath(key)
    if '\x00' in text:
        raise PathEscapeError('storage keys cannot contain NUL characters', details={'key': text.replace('\x00', '')})
    stripped = text.strip('/')
    if not stripped:
        if not allow_root:
            raise PathEscapeError('a file key is required, not the storage root', details={'key': text})
        return ''
    parts: list[str] = []
    for part in stripped.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if not parts:
                raise PathEscapeError(
                    f'key {text!r} points outside the storage root; keys are relative to the configured root',
                    details={'key': text},
                )
            parts.pop()
            continue
        parts.append(part)
    if not parts and not allow_root:
        raise PathEscapeError('a file key is required, not the storage root', details={'key': text})
    return '/'.join(parts)


def join_root(root: str, key: str) -> str:
    """``root`` + ``key`` for the backend (``root`` is already normalised, may be ``''``)."""
    if not key:
        return root
    if not root:
        return key
    return posixpath.join(root, key) if root != '/' else '/' + key
