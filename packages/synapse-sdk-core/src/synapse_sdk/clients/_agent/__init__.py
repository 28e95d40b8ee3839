"""Clients of a Synapse agent (the service in front of a Ray cluster; ``synapse agent serve``).

``AgentClient`` is synchronous, ``AsyncAgentClient`` asynchronous; both need aiohttp, which
``pip install "synapse-sdk[ray]"`` installs. Importing this package does not import aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synapse_sdk.clients._agent.limits import StreamLimits

if TYPE_CHECKING:
    from synapse_sdk.clients._agent.async_client import AsyncAgentClient
    from synapse_sdk.clients._agent.client import AgentClient

__all__ = ['AgentClient', 'AsyncAgentClient', 'StreamLimits']


def __getattr__(name: str) -> Any:
    if name == 'AgentClient':
        from synapse_sdk.clients._agent.client import AgentClient

        return AgentClient
    if name == 'AsyncAgentClient':
        from synapse_sdk.clients._agent.async_client import AsyncAgentClient

        return AsyncAgentClient
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
