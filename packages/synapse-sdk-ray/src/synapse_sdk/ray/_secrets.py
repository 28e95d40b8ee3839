"""Kept for existing imports; the one definition of secrets is :mod:`synapse_sdk.core._secrets`."""

from synapse_sdk.plugins._remote.secrets import Secret, is_secret_name, redact_values, reveal, split_env

__all__ = ['Secret', 'is_secret_name', 'redact_values', 'reveal', 'split_env']
