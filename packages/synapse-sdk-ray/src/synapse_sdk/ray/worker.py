"""What runs on the worker: one request in, one envelope out.

Both modes go through :func:`run_request`, which hands the action to the SDK's single dispatch
path (``synapse_sdk.plugins.dispatch.run_action``) with a :class:`RuntimeContext` built from the
request, and never lets an exception escape: the envelope says ``ok`` with the result, or carries
a description of the error that the caller rebuilds as a typed exception.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from synapse_sdk.ray.remote_errors import describe_exception, jsonable


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


def _importable_cwd() -> None:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def run_request(request: Mapping[str, Any], sinks: Sequence[Any]) -> dict[str, Any]:
    """Run the action described by ``request``; events go to ``sinks``. Never raises."""
    try:
        from synapse_sdk.plugins.context import PluginEnvironment, RuntimeContext
        from synapse_sdk.plugins.dispatch import load_entrypoint, run_action
        from synapse_sdk.plugins.events import EventBus

        _importable_cwd()
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


class SynapseWorker:
    """The warm actor: imports stay cached between calls, so a call costs about a bare actor call.

    Runs one action at a time (``run`` holds a lock); the actor allows a second concurrent call so
    the caller can ``drain`` the events of a long action while it runs.
    """

    def __init__(self) -> None:
        _importable_cwd()
        self._run_lock = threading.Lock()
        self._events_lock = threading.Lock()
        self._buffers: dict[str, list[dict[str, Any]]] = {}

    def ping(self) -> int:
        return os.getpid()

    def run(self, request: Mapping[str, Any]) -> dict[str, Any]:
        from synapse_sdk.plugins.events import CallbackSink

        run_id = str(request.get('run_id') or '')
        buffer: list[dict[str, Any]] = []

        def collect(event: Any) -> None:
            with self._events_lock:
                buffer.append(event.to_dict())

        with self._run_lock:
            with self._events_lock:
                self._buffers[run_id] = buffer
            try:
                envelope = run_request(request, [CallbackSink(collect)])
            finally:
                with self._events_lock:
                    self._buffers.pop(run_id, None)
                    envelope_events = list(buffer)
                    buffer.clear()
        envelope['events'] = envelope_events
        return envelope

    def drain(self, run_id: str) -> list[dict[str, Any]]:
        """Events of the running action not handed out yet (in order)."""
        with self._events_lock:
            buffer = self._buffers.get(run_id)
            if not buffer:
                return []
            events = list(buffer)
            buffer.clear()
            return events
