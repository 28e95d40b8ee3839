"""Secrets as every executor handles them; the one definition is :mod:`synapse_sdk.core._secrets`.

Secret values (marked with :class:`Secret` or ``SecretStr``, or secret by name or by shape) never
go into a runtime_env, an entrypoint or job metadata: they travel in the side channel with the
params, and :func:`redact_values` masks them in any text that leaves a process.
"""

from __future__ import annotations

from collections.abc import Iterable

from synapse_sdk.core._secrets import MASK, Secret, is_secret_name, redact_text, reveal
from synapse_sdk.core._secrets import split_secret_env as split_env

__all__ = ['MASK', 'Secret', 'is_secret_name', 'redact_values', 'reveal', 'split_env']


def redact_values(text: str, secrets: Iterable[str]) -> str:
    """``text`` with the given secret values (and anything secret-shaped) replaced by ``***``."""
    return redact_text(text, secrets)
