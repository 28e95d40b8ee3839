"""Which environment values are secret: a thin re-export of :mod:`synapse_sdk.core.secrets`.

Secret values (marked, or secret by name or by shape) never go into a runtime_env, an entrypoint
or job metadata: they travel in the side channel with the params.
"""

from __future__ import annotations

from synapse_sdk.core.secrets import Secret, is_secret_name, reveal
from synapse_sdk.core.secrets import split_secret_env as split_env

__all__ = ['Secret', 'is_secret_name', 'reveal', 'split_env']
