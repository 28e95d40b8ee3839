"""Moved to :mod:`synapse_sdk.plugins.remote.secrets` (every executor uses it); this name keeps working."""

from synapse_sdk.plugins.remote.secrets import Secret, is_secret_name, redact_values, reveal, split_env

__all__ = ['Secret', 'is_secret_name', 'redact_values', 'reveal', 'split_env']
