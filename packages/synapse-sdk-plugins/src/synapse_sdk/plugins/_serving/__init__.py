"""Serving actions over HTTP: one API, served by the embedded local server or by Ray Serve.

- :class:`ServedAction` / :class:`ServeResponse` (:mod:`.served`): the transport-neutral logic
  (validation, dispatch, model LRU, typed error bodies) both servers wrap.
- :class:`ServeHandle` (:mod:`.handle`): what ``run_plugin(..., mode='serve')`` returns.
- :class:`ServeClient` (:mod:`.client`): the HTTP client every handle and caller uses.
- :class:`LocalServer`, :class:`LocalServeHandle` (:mod:`.local`): the embedded server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    'MODEL_ID_HEADER': 'served',
    'ServedAction': 'served',
    'ServeResponse': 'served',
    'ServeHandle': 'handle',
    'ServeClient': 'client',
    'error_from_answer': 'client',
    'LocalServer': 'local',
    'LocalServeHandle': 'local',
    'LocalServeExecutor': 'local',
    'ServeExecutor': 'local',
}

__all__ = [
    'MODEL_ID_HEADER',
    'LocalServeExecutor',
    'LocalServeHandle',
    'LocalServer',
    'ServeClient',
    'ServeExecutor',
    'ServeHandle',
    'ServeResponse',
    'ServedAction',
    'error_from_answer',
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(f'{__name__}.{module}'), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from synapse_sdk.plugins._serving.client import ServeClient, error_from_answer
    from synapse_sdk.plugins._serving.handle import ServeHandle
    from synapse_sdk.plugins._serving.local import LocalServeExecutor, LocalServeHandle, LocalServer, ServeExecutor
    from synapse_sdk.plugins._serving.served import MODEL_ID_HEADER, ServedAction, ServeResponse
