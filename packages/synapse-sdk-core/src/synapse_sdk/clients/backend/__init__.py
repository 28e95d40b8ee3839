"""Client for the Synapse platform's REST API."""

from synapse_sdk.clients.backend.client import BackendClient
from synapse_sdk.clients.backend.http import RetryPolicy

__all__ = ['BackendClient', 'RetryPolicy']
