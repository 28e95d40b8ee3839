"""Client for the Synapse platform's REST API."""

from synapse_sdk.clients._backend.client import BackendClient
from synapse_sdk.clients._backend.http import RetryPolicy
from synapse_sdk.clients._backend.log_sink import BackendLogSink

__all__ = ['BackendClient', 'BackendLogSink', 'RetryPolicy']
