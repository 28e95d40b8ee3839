"""Storage errors: one family under ``SynapseError``, each also the closest builtin.

Messages name the provider and the key, never a credential: every message that may carry text
from a backend goes through :func:`synapse_sdk.utils.storage._secrets.scrub` first.
"""

from __future__ import annotations

from synapse_sdk.core.errors import ConfigError, MissingFileError, NotFoundError, SynapseError


class StorageError(SynapseError, OSError):
    """Base of every storage failure."""


class StorageConfigError(StorageError, ConfigError):
    """The storage configuration dict is malformed or incomplete."""


class StorageProviderNotFoundError(StorageError, NotFoundError):
    """No provider is registered under the requested name."""


class StorageProviderError(StorageError, TypeError):
    """A registered provider does not implement ``StorageProtocol``: subclass ``FsspecStorage`` or add the members."""


class StorageNotFoundError(StorageError, MissingFileError):
    """A key (or a local source file) does not exist: the same type from every method on every provider.

    Also the SDK's ``MissingFileError``, so ``except FileNotFoundError`` and ``except NotFoundError`` catch it.
    """


class StoragePermissionError(StorageError, PermissionError):
    """The backend refused the credentials or the operation."""


class StorageConnectionError(StorageError, ConnectionError):
    """The backend could not be reached, or went away, after the retry budget was spent."""


class HostKeyVerificationError(StorageConnectionError):
    """An SSH server's host key is unknown or not the trusted one; no credential was sent to it."""


class StorageUploadError(StorageError):
    """An upload did not complete; nothing was left at the target key."""


class PathEscapeError(StorageError, ValueError):
    """A key would resolve outside the configured storage root."""
