"""The embedded backend used when no platform is configured (SQLite + a storage location)."""

from synapse_sdk.clients._local.backend import LocalBackend
from synapse_sdk.clients._local.store import FileStore, LocalFileStore

__all__ = ['FileStore', 'LocalBackend', 'LocalFileStore']
