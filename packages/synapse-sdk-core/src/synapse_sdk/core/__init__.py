"""Shared foundations of the Synapse SDK: errors, registries, credentials and settings."""

from synapse_sdk.core._registry import DuplicateNameError, Registry, RegistryEntry
from synapse_sdk.core._version import sdk_version
from synapse_sdk.core.errors import (
    ArchiveError,
    ClientError,
    ConfigError,
    CredentialsError,
    MissingDependencyError,
    MissingFileError,
    NotFoundError,
    ParseError,
    SecretFileError,
    SynapseError,
    SynapseWarning,
)

__all__ = [
    'ArchiveError',
    'ClientError',
    'ConfigError',
    'CredentialsError',
    'DuplicateNameError',
    'MissingDependencyError',
    'MissingFileError',
    'NotFoundError',
    'ParseError',
    'Registry',
    'RegistryEntry',
    'SecretFileError',
    'SynapseError',
    'SynapseWarning',
    'sdk_version',
]
