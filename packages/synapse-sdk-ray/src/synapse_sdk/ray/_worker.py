"""What runs on the Ray worker: the warm actor of task mode.

Both Ray modes go through :func:`synapse_sdk.plugins._remote.worker.run_request` (transport-neutral,
in synapse-sdk-plugins), which runs the action on the SDK's single dispatch path and never raises.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins._remote.worker import environment, run_request
from synapse_sdk.plugins._remote.worker import importable_cwd as _importable_cwd

__all__ = ['SynapseWorker', 'environment', 'run_request']


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
        from synapse_sdk.plugins._events import CallbackSink

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
