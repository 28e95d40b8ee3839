"""Serve actions on Ray Serve (mode ``serve_ray``; ``serve`` with a Ray address).

- :class:`RayServeExecutor` (:mod:`.executor`): deploys an action as a Serve application.
- :class:`SynapseServeIngress` (:mod:`.replica`): what runs in each replica.
- :class:`RayServeHandle` (:mod:`.handle`): the deployed action (``url``, ``predict``, ``status``, ``delete``).
- :mod:`.admin`: list, describe and delete applications (``synapse serve``).

Importing this package does not import Ray; the names below load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_sdk.ray._serve.executor import RayServeExecutor
    from synapse_sdk.ray._serve.handle import RayServeHandle

_LAZY = {
    'RayServeExecutor': 'synapse_sdk.ray._serve.executor',
    'RayServeHandle': 'synapse_sdk.ray._serve.handle',
}

__all__ = ['RayServeExecutor', 'RayServeHandle']


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(module), name)
