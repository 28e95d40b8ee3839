"""One exception family for the whole SDK.

Every error the SDK raises on purpose derives from :class:`SynapseError`, so callers can catch
everything with one clause, and also from the closest builtin, so code that already catches
``LookupError`` or ``ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SynapseError(Exception):
    """Base of every error the SDK raises on purpose.

    ``message`` says what went wrong and what to do; ``details`` carries machine-readable context
    (never secrets).
    """

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword-only details across pickling (Ray ships exceptions between processes).
        return (_rebuild, (type(self), self.message, self.details, self.__dict__))


def _rebuild(cls: type[SynapseError], message: str, details: dict[str, Any], state: dict[str, Any]) -> SynapseError:
    error = cls.__new__(cls)
    SynapseError.__init__(error, message, details=details)
    error.__dict__.update(state)
    return error


class SynapseWarning(UserWarning):
    """Base of the SDK's warnings: something was accepted but not as asked (the CLI prints one line)."""


class ConfigError(SynapseError, ValueError):
    """A configuration file, key or value is wrong."""


class NotFoundError(SynapseError, LookupError):
    """A named thing (action, provider, format, record) does not exist."""


class MissingFileError(NotFoundError, FileNotFoundError):
    """A local file or folder the SDK was asked to read does not exist.

    One type for this on every backend and path, and both ``except NotFoundError`` and
    ``except FileNotFoundError`` catch it.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> MissingFileError:
        # OSError's instance layout needs its own __new__ (also when unpickled by _rebuild).
        return FileNotFoundError.__new__(cls, *args)


class MissingDependencyError(SynapseError, ImportError):
    """An optional distribution or library is not installed; the message has the install command."""


class CredentialsError(ConfigError):
    """Credentials are missing or malformed."""


class ArchiveError(SynapseError, ValueError):
    """An archive could not be written, or refuses to be extracted safely."""


class SecretFileError(SynapseError, PermissionError):
    """Files about to be packed look like private keys or credentials (see ``synapse_sdk.core._packing``)."""


class ClientError(SynapseError, ConnectionError):
    """A remote service answered with an error or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.status = status


class ParseError(ConfigError):
    """A file or text could not be parsed within the limits (syntax, encoding, size, depth, aliases).

    ``path`` and ``line`` say where, when known; the message is one line that names them.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details={**(details or {}), 'path': path, 'line': line})
        self.path = path
        self.line = line


class UnsupportedOperationError(SynapseError, NotImplementedError):
    """The backend in use cannot do this (for example registering a local folder on the platform)."""


class LockedError(SynapseError, FileExistsError):
    """Another live process holds the lock."""


class DuplicateNameError(SynapseError, ValueError):
    """A registry name or alias is already taken by another target."""
