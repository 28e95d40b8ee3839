"""Moved to :mod:`synapse_sdk.plugins._remote.transport` (every executor uses it); this name keeps working."""

from synapse_sdk.plugins._remote.transport import describe_exception, jsonable, rebuild_exception

__all__ = ['describe_exception', 'jsonable', 'rebuild_exception']
