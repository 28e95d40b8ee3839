"""Shared foundations of the Synapse SDK: errors, registries, credentials and settings."""

from synapse_sdk.core._registry import Registry, RegistryEntry
from synapse_sdk.core._version import sdk_version
from synapse_sdk.core.errors import (
    ArchiveError,
    ClientError,
    ConfigError,
    CredentialsError,
    DuplicateNameError,
    LockedError,
    MissingDependencyError,
    MissingFileError,
    NotFoundError,
    ParseError,
    SecretFileError,
    SynapseError,
    SynapseWarning,
    UnsupportedOperationError,
)

__all__ = [
    'ArchiveError',
    'ClientError',
    'ConfigError',
    'CredentialsError',
    'DuplicateNameError',
    'LockedError',
    'MissingDependencyError',
    'MissingFileError',
    'NotFoundError',
    'ParseError',
    'Registry',
    'RegistryEntry',
    'SecretFileError',
    'SynapseError',
    'SynapseWarning',
    'UnsupportedOperationError',
    'sdk_version',
]
