"""Clients for the Synapse platform (backend REST API, embedded local backend) and the agent.

Names are imported on first use: the agent clients need aiohttp (``pip install "synapse-sdk[ray]"``),
and importing this package imports neither aiohttp nor the embedded backend's SQLite layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    'AgentClient': 'synapse_sdk.clients._agent',
    'AsyncAgentClient': 'synapse_sdk.clients._agent',
    'StreamLimits': 'synapse_sdk.clients._agent',
    'BackendClient': 'synapse_sdk.clients._backend',
    'BackendLogSink': 'synapse_sdk.clients._backend',
    'RetryPolicy': 'synapse_sdk.clients._backend',
    'LocalBackend': 'synapse_sdk.clients._local',
    'FileStore': 'synapse_sdk.clients._local',
    'LocalFileStore': 'synapse_sdk.clients._local',
    'default_client': 'synapse_sdk.clients._factory',
    'BackendProtocol': 'synapse_sdk.clients._protocol',
    'PathLike': 'synapse_sdk.clients._protocol',
    'Record': 'synapse_sdk.clients._protocol',
    'UnsupportedOperationError': 'synapse_sdk.clients._protocol',
}

__all__ = [
    'AgentClient',
    'AsyncAgentClient',
    'BackendClient',
    'BackendLogSink',
    'BackendProtocol',
    'FileStore',
    'LocalBackend',
    'LocalFileStore',
    'PathLike',
    'Record',
    'RetryPolicy',
    'StreamLimits',
    'UnsupportedOperationError',
    'default_client',
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from synapse_sdk.clients._agent import AgentClient, AsyncAgentClient, StreamLimits
    from synapse_sdk.clients._backend import BackendClient, BackendLogSink, RetryPolicy
    from synapse_sdk.clients._factory import default_client
    from synapse_sdk.clients._local import FileStore, LocalBackend, LocalFileStore
    from synapse_sdk.clients._protocol import BackendProtocol, PathLike, Record, UnsupportedOperationError
