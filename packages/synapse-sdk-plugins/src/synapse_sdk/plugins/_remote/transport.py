"""Carry exceptions from a worker (Ray actor, job, replica) to the caller as plain data, then rebuild typed errors.

Ray would hand the caller a ``RayTaskError`` wrapping whatever was raised (or fail to unpickle a
class that only exists on the worker). Instead the worker describes the exception as a JSON-able
record and the caller rebuilds it: SDK errors (``ParamsValidationError``, ``ExecutionError``...)
come back as themselves, builtin exceptions as themselves, anything else as :class:`RemoteError`.
Every rebuilt error carries ``remote_type`` and ``remote_traceback``.
"""

from __future__ import annotations

import builtins
import importlib
import traceback
from typing import Any

from synapse_sdk.core.errors import SynapseError
from synapse_sdk.plugins.errors import ExecutionError, RemoteError

_MAX_DEPTH = 5


def jsonable(value: Any) -> Any:
    """A JSON-able copy of ``value`` (pydantic models and odd objects included; falls back to ``str``)."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


def describe_exception(error: BaseException, _depth: int = 0) -> dict[str, Any]:
    cls = type(error)
    record: dict[str, Any] = {
        'type': f'{cls.__module__}.{cls.__qualname__}',
        'message': error.message if isinstance(error, SynapseError) else str(error),
        'traceback': ''.join(traceback.format_exception(cls, error, error.__traceback__)),
    }
    if isinstance(error, SynapseError):
        record['details'] = jsonable(error.details)
        state = {k: v for k, v in vars(error).items() if k not in ('message', 'details', 'original')}
        record['state'] = jsonable(state)
    if error.__cause__ is not None and _depth < _MAX_DEPTH:
        record['cause'] = describe_exception(error.__cause__, _depth + 1)
    return record


def _resolve_class(qualified: str) -> type[BaseException] | None:
    module_name, _, name = qualified.rpartition('.')
    if module_name == 'builtins':
        candidate = getattr(builtins, name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            return candidate
        return None
    if not module_name.startswith('synapse_sdk.'):
        return None
    try:
        candidate = getattr(importlib.import_module(module_name), name, None)
    except ImportError:
        return None
    if isinstance(candidate, type) and issubclass(candidate, SynapseError):
        return candidate
    return None


def rebuild_exception(record: dict[str, Any]) -> BaseException:
    """The caller-side exception for a record made by :func:`describe_exception`."""
    qualified = str(record.get('type', 'builtins.Exception'))
    message = str(record.get('message', ''))
    remote_tb = str(record.get('traceback', ''))
    cls = _resolve_class(qualified)
    error: BaseException
    if cls is not None and issubclass(cls, SynapseError):
        error = cls.__new__(cls)
        SynapseError.__init__(error, message, details=record.get('details') or {})
        state = record.get('state')
        if isinstance(state, dict):
            error.__dict__.update(state)
    elif cls is not None:
        try:
            error = cls(message)
        except Exception:
            error = RemoteError(message, remote_type=qualified, remote_traceback=remote_tb)
    else:
        error = RemoteError(message, remote_type=qualified, remote_traceback=remote_tb)
    error.remote_type = qualified  # type: ignore[attr-defined]
    error.remote_traceback = remote_tb  # type: ignore[attr-defined]
    cause = record.get('cause')
    if isinstance(cause, dict):
        error.__cause__ = rebuild_exception(cause)
    if isinstance(error, ExecutionError):  # it keeps the action's exception as ``original`` too
        error.original = error.__cause__
    return error
