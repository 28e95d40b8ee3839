"""The embedded backend used when no platform is configured (SQLite + a storage location)."""

from synapse_sdk.clients.local.backend import LocalBackend
from synapse_sdk.clients.local.store import FileStore, LocalFileStore

__all__ = ['FileStore', 'LocalBackend', 'LocalFileStore']
