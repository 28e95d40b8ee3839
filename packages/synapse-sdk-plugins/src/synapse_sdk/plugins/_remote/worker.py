"""Worker side of every remote executor: one request in, one envelope out.

:func:`run_request` hands the action to the SDK's single dispatch path
(:func:`synapse_sdk.plugins._dispatch.run_action`) with a :class:`RuntimeContext` built from the
request, and never lets an exception escape: the envelope says ``ok`` with the result, or carries
a description of the error that the caller rebuilds as a typed exception.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from synapse_sdk.plugins._remote.transport import describe_exception, jsonable


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """Set ``env`` in ``os.environ`` for the duration of one action, then restore it."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def importable_cwd() -> None:
    """Workers run in the unpacked plugin folder: make its packages importable."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def run_request(request: Mapping[str, Any], sinks: Sequence[Any]) -> dict[str, Any]:
    """Run the action described by ``request``; events go to ``sinks``. Never raises."""
    try:
        from synapse_sdk.plugins._context import PluginEnvironment, RuntimeContext
        from synapse_sdk.plugins._dispatch import load_entrypoint, run_action
        from synapse_sdk.plugins._events import EventBus

        importable_cwd()
        env = {str(k): str(v) for k, v in (request.get('env') or {}).items()}
        target = request['action']
        if isinstance(target, str):
            target = load_entrypoint(target)
        ctx = RuntimeContext(
            events=EventBus(list(sinks)),
            env=PluginEnvironment(env),
            job_id=request.get('job_id'),
            language=request.get('language'),
            action_name=request.get('action_name'),
        )
        with environment(env):
            result = run_action(target, request.get('params'), ctx)
        return {'ok': True, 'result': jsonable(result)}
    except (Exception, SystemExit) as error:
        return {'ok': False, 'error': describe_exception(error)}
